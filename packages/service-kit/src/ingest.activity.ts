/**
 * When ingest, on this thread, last took a request. The single process runs ingest and the senders
 * on its main thread: the senders there take fewer notifications at once while ingest is busy, so
 * its answers do not wait behind their round trips, and their full number once it is idle (the
 * drain after a burst). A module-level value: it is per thread, as the threads' heaps are.
 */

/** Ingest counts as busy for this long after it last took a request, ms. */
export const INGEST_BUSY_MS = 200;

let lastRequestAt: number | undefined;

export const ingestActivity = {
  /** Ingest took a request now (on this thread). */
  mark(): void {
    lastRequestAt = performance.now();
  },
  /** Whether ingest on this thread took a request in the last `INGEST_BUSY_MS` (false on a thread without ingest). */
  busy(): boolean {
    return lastRequestAt !== undefined && performance.now() - lastRequestAt < INGEST_BUSY_MS;
  },
  /** Forgets the last request (tests). */
  reset(): void {
    lastRequestAt = undefined;
  },
};
