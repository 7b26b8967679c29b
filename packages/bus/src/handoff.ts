import { isDeepStrictEqual } from 'node:util';
import type { Metrics } from '@nm/telemetry';

/**
 * Hand-off of decoded payloads between stages on one thread (the single process's stage worker):
 * a publisher on this thread offers the payload it publishes, and a consumer on this thread that
 * is delivered exactly the bytes that were published takes the payload instead of decoding them.
 * The message still goes through JetStream (stored, acked, redelivered from its bytes after a
 * crash or a nak): only the decoding is skipped, and only when the delivered bytes are the
 * published ones, compared byte for byte.
 *
 * A payload is kept only for subjects a consumer on this thread reads (`interest`), and only
 * while the kept payloads' encoded size is under `limitBytes` (a backlog is decoded from its bytes
 * as usual) and for at most `ttlMs` (a message taken by another replica's consumer is never
 * taken here). Both sides must treat a handed-off payload as immutable: the publisher does not
 * change it after publishing, the consumer does not change what it was given. Mode `verify`
 * freezes every offered payload deeply (a change throws) and decodes every delivery anyway,
 * comparing: a test mode.
 */
export type HandoffMode = 'off' | 'on' | 'verify';

export interface HandoffStats {
  offered: number;
  taken: number;
  /** Offered payloads dropped unused: not taken in time, their publish failed, or the delivered bytes were not theirs. */
  expired: number;
  /** Not kept: the size limit was reached. */
  refused: number;
  /** verify mode: a payload that differed from its bytes' decoding. */
  mismatched: number;
}

interface Entry {
  payload: unknown;
  encoded: Uint8Array;
  at: number;
}

const DEFAULT_LIMIT_BYTES = 32 * 1024 * 1024;
const DEFAULT_TTL_MS = 10_000;

export class Handoff {
  private mode: HandoffMode = 'off';
  private readonly entries = new Map<string, Entry>();
  /** Filter subjects of this thread's consumers, with how many consumers read each. */
  private readonly interests = new Map<string, number>();
  private bytes = 0;
  private limitBytes = DEFAULT_LIMIT_BYTES;
  private ttlMs = DEFAULT_TTL_MS;
  private sweeper: NodeJS.Timeout | undefined;
  readonly stats: HandoffStats = { offered: 0, taken: 0, expired: 0, refused: 0, mismatched: 0 };

  private count: (outcome: keyof HandoffStats) => void = (outcome) => void (this.stats[outcome] += 1);

  /** Turns the hand-off on or off for this thread; `metrics` gets `nm_bus_handoff_total{outcome}`. */
  configure(opts: { mode: HandoffMode; limitBytes?: number; ttlMs?: number; metrics?: Metrics }): void {
    this.mode = opts.mode;
    if (opts.metrics) {
      const counter = opts.metrics.counter('nm_bus_handoff_total', 'Payloads handed from a publisher to a consumer on the same thread (single process), by outcome: offered, taken (not decoded again), expired (decoded from their bytes), refused (size limit), mismatched (verify mode)', ['outcome'] as const);
      this.count = (outcome) => {
        this.stats[outcome] += 1;
        counter.inc({ outcome });
      };
    }
    this.limitBytes = opts.limitBytes ?? DEFAULT_LIMIT_BYTES;
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    if (this.mode === 'off') this.clear();
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  /** A consumer on this thread reads `filterSubject` (NATS wildcards `*` and `>` allowed); returns its release. */
  interest(filterSubject: string): () => void {
    this.interests.set(filterSubject, (this.interests.get(filterSubject) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.interests.get(filterSubject) ?? 1) - 1;
      if (n > 0) this.interests.set(filterSubject, n);
      else this.interests.delete(filterSubject);
    };
  }

  /**
   * Keeps `payload`, published on `subject` as `encoded` with id `msgId`, for a consumer on this
   * thread. Returns a withdraw function (the publish failed), or undefined when it was not kept.
   */
  offer(subject: string, msgId: string, payload: unknown, encoded: Uint8Array): (() => void) | undefined {
    if (this.mode === 'off' || !this.wanted(subject)) return undefined;
    if (this.bytes + encoded.byteLength > this.limitBytes) {
      this.sweep(Date.now());
      if (this.bytes + encoded.byteLength > this.limitBytes) {
        this.count('refused');
        return undefined;
      }
    }
    if (this.mode === 'verify') deepFreeze(payload);
    const key = keyOf(subject, msgId);
    this.drop(key);
    const entry: Entry = { payload, encoded, at: Date.now() };
    this.entries.set(key, entry);
    this.bytes += encoded.byteLength;
    this.count('offered');
    this.startSweeper();
    return () => {
      if (this.entries.get(key) === entry) {
        this.drop(key);
        this.count('expired');
      }
    };
  }

  /**
   * The payload offered for this delivery, when `data` are exactly the bytes it was published as;
   * undefined otherwise (decode `data`). A payload is taken once: a redelivery decodes its bytes.
   */
  take(subject: string, msgId: string | undefined, data: Uint8Array): unknown {
    if (msgId === undefined || this.entries.size === 0) return undefined;
    const key = keyOf(subject, msgId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.drop(key);
    if (!sameBytes(entry.encoded, data)) {
      this.count('expired');
      return undefined;
    }
    if (this.mode === 'verify') {
      const decoded: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
      if (!isDeepStrictEqual(decoded, entry.payload)) {
        this.count('mismatched'); // the payload decoded from the bytes is used
        return decoded;
      }
    }
    this.count('taken');
    return entry.payload;
  }

  /** Payloads kept now, and their encoded bytes. */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private wanted(subject: string): boolean {
    if (this.interests.has(subject)) return true;
    for (const filter of this.interests.keys()) if (subjectMatches(filter, subject)) return true;
    return false;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.encoded.byteLength;
  }

  private sweep(now: number): void {
    // entries are in insertion order, so the oldest come first
    for (const [key, e] of this.entries) {
      if (now - e.at < this.ttlMs) break;
      this.drop(key);
      this.count('expired');
    }
    if (this.entries.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(100, Math.floor(this.ttlMs / 4)));
    this.sweeper.unref();
  }
}

/** This thread's hand-off (module state: one per thread). Off until the composition turns it on. */
export const handoff = new Handoff();

function keyOf(subject: string, msgId: string): string {
  return `${subject}\u0000${msgId}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
