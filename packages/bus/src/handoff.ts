/**
 * In-thread handoff of published payloads.
 *
 * The single-process build runs several stages on one thread: the silencer publishes what the
 * router in the same thread consumes, the router what the aggregator consumes, the aggregator what
 * the senders consume. The message still goes through JetStream as ever (stored, acked,
 * redelivered); only the JSON decode of a payload this thread has just encoded is skipped: the
 * consumer takes the publisher's object when the delivered bytes are exactly the bytes published
 * under that subject and message id. Anything else (another thread's or process's message, a
 * redelivery after the entry was taken or evicted, different bytes under the same id) is parsed
 * from the message as before.
 *
 * Entries are kept only for subjects a consumer of this thread reads, and within a byte budget
 * (oldest out first), so a backlog costs parses, not memory. `NM_BUS_HANDOFF`: `on` (default),
 * `off`, or `freeze` (payloads deep-frozen when offered: a stage that mutated a payload it received
 * would throw, which tests use to prove no stage does).
 */

export type HandoffMode = 'on' | 'off' | 'freeze';

interface Entry {
  payload: unknown;
  bytes: Uint8Array;
}

/** Bytes of published messages kept for local consumers (the objects they stand for are extra). */
export const HANDOFF_BUDGET_BYTES = 8 * 1024 * 1024;

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
}

export class Handoff {
  private readonly wanted = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private handed = 0;
  private parsedInstead = 0;

  constructor(
    private mode: HandoffMode = 'on',
    private readonly budgetBytes = HANDOFF_BUDGET_BYTES,
  ) {}

  setMode(mode: HandoffMode): void {
    this.mode = mode;
    if (mode === 'off') this.clear();
  }

  /** A consumer of this thread reads `subject` (an exact subject; wildcards are not handed off). Returns the undo. */
  want(subject: string): () => void {
    if (/[*>]/.test(subject)) return () => undefined;
    this.wanted.set(subject, (this.wanted.get(subject) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.wanted.get(subject) ?? 1) - 1;
      if (n > 0) this.wanted.set(subject, n);
      else this.wanted.delete(subject);
    };
  }

  /** The publisher's side: `payload` is about to be published to `subject` as `bytes` under `msgId`. */
  offer(subject: string, msgId: string, payload: unknown, bytes: Uint8Array): void {
    if (this.mode === 'off' || !this.wanted.has(subject) || bytes.byteLength > this.budgetBytes) return;
    if (this.mode === 'freeze') deepFreeze(payload);
    const key = `${subject}\u0000${msgId}`;
    this.drop(key);
    this.entries.set(key, { payload, bytes });
    this.bytes += bytes.byteLength;
    for (const [k] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.drop(k);
    }
  }

  /** The publish failed: nothing will arrive under this id from it. */
  withdraw(subject: string, msgId: string, bytes: Uint8Array): void {
    const key = `${subject}\u0000${msgId}`;
    if (this.entries.get(key)?.bytes === bytes) this.drop(key);
  }

  /** The consumer's side: the publisher's object for this delivery, or undefined (parse the message). */
  take(subject: string, msgId: string | undefined, data: Uint8Array): unknown {
    if (msgId === undefined || this.entries.size === 0) return undefined;
    const key = `${subject}\u0000${msgId}`;
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.drop(key);
    if (!Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).equals(data)) {
      this.parsedInstead += 1;
      return undefined;
    }
    this.handed += 1;
    return e.payload;
  }

  stats(): { entries: number; bytes: number; handed: number; parsedInstead: number } {
    return { entries: this.entries.size, bytes: this.bytes, handed: this.handed, parsedInstead: this.parsedInstead };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes.byteLength;
  }
}

// Services validate the variable at start (CommonEnvSchema); an unknown value means the default here.
const modeOf = (v: string | undefined): HandoffMode => (v === 'off' || v === 'freeze' ? v : 'on');

/** This thread's handoff (module state: one per thread, shared by every stage of the thread). */
export const handoff = new Handoff(modeOf(process.env['NM_BUS_HANDOFF']));
