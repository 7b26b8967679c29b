/**
 * What ingest is doing, for the other stages of the single process.
 *
 * - On its own thread (the main thread): when it last took a request. The senders there take fewer
 *   notifications at once while ingest is busy, so its answers do not wait behind their round
 *   trips, and their full number once it is idle (the drain after a burst).
 * - Across threads (`buffer`, `attach`): the requests it has in hand, when it last finished one,
 *   and the highest `nm.alerts.ingested` sequence JetStream acknowledged to it. The aggregator of
 *   the stage worker reads them (`intake`) to tell that the input has ended without waiting a
 *   quarter second of quiet: ingest idle, and every message it stored already seen
 *   (docs/performance.md, "Twentieth round").
 *
 * Module-level values: they are per thread, as the threads' heaps are; the cross-thread part lives
 * in a SharedArrayBuffer that the main thread hands to its workers.
 */

/** Ingest counts as busy for this long after it last took a request, ms. */
export const INGEST_BUSY_MS = 200;

/** Ingest's state as another thread of the same process reads it (`ingestActivity.intake`). */
export interface IntakeState {
  /** Requests ingest has taken and not yet answered. */
  inFlight: number;
  /** Since ingest last took or answered a request, ms. */
  idleMs: number;
  /** The highest `nm.alerts.ingested` stream sequence JetStream acknowledged to ingest. */
  publishedSeq: number;
}

/** Reads ingest's state (`ingestActivity.intake`); undefined while nothing says it. */
export type IntakeReader = () => IntakeState | undefined;

/**
 * The shared buffer's layout: the requests in hand in Int32 slot `inFlight` (Atomics); then, in
 * Float64 slots (after the Int32 one, 8-aligned), the last activity (epoch ms) and the highest
 * acknowledged sequence. Exported for a reader that cannot import this module (a test's plain worker).
 */
export const INTAKE_SLOTS = { inFlight: 0, lastAt: 1, publishedSeq: 2, bytes: 3 * 8 } as const;
const { inFlight: IN_FLIGHT, lastAt: LAST_AT, publishedSeq: PUBLISHED_SEQ, bytes: BYTES } = INTAKE_SLOTS;

let lastRequestAt: number | undefined;
let shared = new SharedArrayBuffer(BYTES);
let counts = new Int32Array(shared, 0, 1);
let values = new Float64Array(shared);
/** Whether this thread's state says anything: ingest ran here, or the buffer came from the thread where it runs. */
let known = false;

function use(buffer: SharedArrayBuffer): void {
  shared = buffer;
  counts = new Int32Array(shared, 0, 1);
  values = new Float64Array(shared);
}

export const ingestActivity = {
  /** Ingest took a request (on this thread) that it will answer (`end`). */
  begin(): void {
    lastRequestAt = performance.now();
    known = true;
    Atomics.add(counts, IN_FLIGHT, 1);
    values[LAST_AT] = Date.now();
  },
  /** Ingest answered a request it had begun. */
  end(): void {
    Atomics.sub(counts, IN_FLIGHT, 1);
    values[LAST_AT] = Date.now();
  },
  /** JetStream acknowledged an `nm.alerts.ingested` message at `seq` (0, an inline or unknown sequence, is ignored). */
  published(seq: number): void {
    if (seq > values[PUBLISHED_SEQ]!) values[PUBLISHED_SEQ] = seq;
  },
  /** Whether ingest on this thread took a request in the last `INGEST_BUSY_MS` (false on a thread without ingest). */
  busy(): boolean {
    return lastRequestAt !== undefined && performance.now() - lastRequestAt < INGEST_BUSY_MS;
  },
  /** The buffer the cross-thread state lives in, for a worker to `attach`. */
  buffer(): SharedArrayBuffer {
    return shared;
  },
  /** Reads ingest's state from `buffer` (another thread's `buffer()`) from now on. */
  attach(buffer: SharedArrayBuffer): void {
    if (buffer.byteLength < BYTES) throw new Error(`ingest activity buffer of ${buffer.byteLength} bytes, expected ${BYTES}`);
    use(buffer);
    known = true;
  },
  /**
   * Ingest's state, or undefined where nothing says it (no ingest on this thread and no buffer
   * attached, as in a service of its own).
   */
  intake(): IntakeState | undefined {
    if (!known) return undefined;
    const last = values[LAST_AT]!;
    return {
      inFlight: Atomics.load(counts, IN_FLIGHT),
      idleMs: last === 0 ? Infinity : Date.now() - last,
      publishedSeq: values[PUBLISHED_SEQ]!,
    };
  },
  /** Forgets everything, with a buffer of its own again (tests). */
  reset(): void {
    lastRequestAt = undefined;
    known = false;
    use(new SharedArrayBuffer(BYTES));
  },
};
