import type { IntakeReader } from '@nm/service-kit';

/**
 * How late the aggregator's input is: the time from ingest's receipt of a routed message's alerts
 * (`receivedAt`) to their arrival here, above the lowest such delay seen in the last minute.
 *
 * While the pipeline keeps up, alerts reach the aggregator within milliseconds of their receipt.
 * When the stages before it are behind (a burst larger than they take at once), alerts received
 * together arrive spread over the backlog's drain: a group flushed at the end of its wait then
 * becomes one notification of many, each for alerts that arrived a little later than the last,
 * while its next alerts are already received and on their way. Batch aggregation reads
 * {@link InputLag.behind} to hold such a group a little longer, the way it does while the senders
 * are behind: the notification then carries what was received with it. In a split deployment the
 * senders' backlog alone does not show this (a sender with its own CPU takes notifications at once
 * while the stages before the aggregator, on the same machine, fall behind).
 *
 * The lowest delay of the last minute is the baseline, so a clock of the ingest pod that runs
 * ahead or behind the aggregator's shifts it and not the decision. Only first deliveries count
 * (a redelivered message is late by its retries, not by the pipeline; a dead letter replayed
 * through the pipeline is a new delivery and does count: groups due right after it wait until the
 * next message on time arrives, or a second, at most for the coalescing limit), and only a recent
 * arrival: when nothing arrived for twice the last arrival's lateness (at least
 * {@link QUIET_MIN_MS}, at most `recentMs`), the input is idle, not late. A message that was 150 ms
 * late says the stages before were about that far behind; a quarter second without another one says
 * they have drained, and holding groups for the rest of a second would only leave the machine idle
 * while their alerts wait (docs/performance.md, eleventh round). A message late by seconds (a stage
 * that was down) still holds for up to `recentMs`.
 */
export interface InputLagOptions {
  /** Late by more than this (ms above the baseline) is behind; 0 turns the signal off (the delay is still measured). */
  thresholdMs: number;
  /** An arrival older than this says nothing about now (default 1,000 ms); one less late says less (see the class comment). */
  recentMs?: number;
  /** The baseline is the lowest delay of the current and the previous window of this length (default 30 s). */
  windowMs?: number;
  /**
   * Input that comes in bursts with pauses shorter than this between them (the last two) has not
   * ended in a pause, until half as long again as the last one (default 0: none; the aggregator
   * gives its coalescing limit, within which a held group could take the next burst).
   */
  burstsWithinMs?: number;
  /**
   * Ingest's state (undefined while unknown), where it runs in the same process and this
   * aggregator's input is its messages inline (the single process's stage worker;
   * `ingestActivity.intake`). With it the input has also
   * ended once ingest has no request in hand and took or answered none for `INTAKE_IDLE_MS`, every
   * message it stored was seen here (`observe`'s sequence), and nothing arrived for
   * `INTAKE_QUIET_MS`: a quarter second sooner than by the quiet time alone.
   */
  intake?: IntakeReader;
  now?: () => number;
}

/**
 * With `intake`: ingest idle this long ends the input (with its messages seen). Requests of one
 * burst follow each other far closer than this (a client keeps several in flight).
 */
export const INTAKE_IDLE_MS = 100;

/** With `intake`: the quiet time after the last arrival that ends the input once ingest is idle and its messages seen, ms. */
export const INTAKE_QUIET_MS = 25;

/** The shortest quiet time after which the input counts as idle, ms. */
export const QUIET_MIN_MS = 250;

/**
 * The input has ended (`InputLag.ended`) once nothing arrived for this many of its recent gaps
 * between arrivals (and at least `QUIET_MIN_MS`).
 */
export const ENDED_AFTER_GAPS = 4;

/** Weight of the newest gap in the recent gap between arrivals (an exponential average). */
const GAP_WEIGHT = 0.1;

/** A gap counts at most this long towards the recent gap (an hour's pause says nothing of the pace of the next burst), ms. */
const GAP_CAP_MS = 5_000;

export class InputLag {
  private readonly now: () => number;
  private readonly recentMs: number;
  private readonly windowMs: number;
  /** The last arrival's delay, and when it arrived. */
  private lastLag = 0;
  private lastAt = -Infinity;
  private windowStart = -Infinity;
  private currentMin = Infinity;
  private previousMin = Infinity;
  /** When the last message arrived (any, readable time or not). */
  private arrivedAt = -Infinity;
  /** The recent gap between arrivals: the first gap, then an exponential average (undefined before the second arrival). */
  private gapMs: number | undefined;
  /** The last two pauses that ended the input (gaps longer than it took then to end), oldest first. */
  private pauses: number[] = [];
  /** The highest input sequence seen (`observe`). */
  private seenSeq = 0;

  constructor(private readonly opts: InputLagOptions) {
    this.now = opts.now ?? Date.now;
    this.recentMs = opts.recentMs ?? 1000;
    this.windowMs = opts.windowMs ?? 30_000;
  }

  /**
   * A routed message arrived whose alerts ingest received at `receivedAt` (an ISO time; an
   * unreadable one is ignored). Undefined for a message whose delay says nothing about the stages
   * before (a redelivery): it counts as input for `ended`, not for the lateness. `seq`: the
   * message's sequence in ingest's stream, compared with what ingest stored (`intake`).
   */
  observe(receivedAt: string | undefined, seq = 0): void {
    const now = this.now();
    if (seq > this.seenSeq) this.seenSeq = seq;
    if (Number.isFinite(this.arrivedAt)) {
      const gap = now - this.arrivedAt;
      if (gap > this.endsAfterMs()) {
        this.pauses.push(gap);
        if (this.pauses.length > 2) this.pauses.shift();
      }
      const counted = Math.min(gap, GAP_CAP_MS);
      this.gapMs = this.gapMs === undefined ? counted : this.gapMs + GAP_WEIGHT * (counted - this.gapMs);
    }
    this.arrivedAt = now;
    const received = receivedAt === undefined ? NaN : Date.parse(receivedAt);
    if (!Number.isFinite(received)) return;
    const lag = now - received;
    if (now - this.windowStart >= this.windowMs) {
      this.previousMin = now - this.windowStart >= 2 * this.windowMs ? Infinity : this.currentMin;
      this.currentMin = Infinity;
      this.windowStart = now;
    }
    if (lag < this.currentMin) this.currentMin = lag;
    this.lastLag = lag;
    this.lastAt = now;
  }

  /**
   * How late the last arrival was above the baseline, ms; 0 once nothing arrived for twice that
   * (at least `QUIET_MIN_MS`, at most `recentMs`). (The largest delay of the last second instead
   * held groups a second after the input had caught up, and cost more latency than it saved
   * notifications: docs/performance.md.)
   */
  excessMs(): number {
    const excess = Math.max(0, this.lastLag - Math.min(this.currentMin, this.previousMin));
    const quiet = this.now() - this.lastAt;
    return quiet > Math.min(this.recentMs, Math.max(QUIET_MIN_MS, 2 * excess)) ? 0 : excess;
  }

  /**
   * Whether the input has ended for now: nothing arrived for `ENDED_AFTER_GAPS` times the recent
   * gap between arrivals, and at least `QUIET_MIN_MS` (true before the first arrival). A burst
   * whose messages came every few milliseconds has ended a quarter second after its last one;
   * input that comes every second has not ended until four seconds without any. Input that comes
   * in bursts a regular pause apart (`burstsWithinMs`) has not ended in the pause either.
   */
  ended(): boolean {
    return this.untilEndedMs() < 0;
  }

  /**
   * How long until the input has ended if nothing arrives meanwhile, ms (negative once it has). With
   * `intake`, an idle ingest whose messages were all seen ends it sooner (`InputLagOptions.intake`);
   * while ingest is not idle that is unknown, and the quiet time alone counts.
   */
  untilEndedMs(): number {
    let after = this.endsAfterMs();
    const within = this.opts.burstsWithinMs ?? 0;
    if (this.pauses.length === 2 && this.pauses.every((p) => p < within)) after = Math.max(after, 1.5 * this.pauses[1]!);
    const now = this.now();
    const quiet = this.arrivedAt + after - now;
    if (quiet < 0) return quiet;
    const s = this.opts.intake?.();
    if (!s || s.inFlight > 0 || s.publishedSeq <= 0 || this.seenSeq < s.publishedSeq) return quiet;
    return Math.min(quiet, Math.max(INTAKE_IDLE_MS - s.idleMs, this.arrivedAt + INTAKE_QUIET_MS - now));
  }

  /** Whether ingest's state is given (`intake`): the input's end can come sooner than its quiet time says (`untilEndedMs`). */
  watchesIntake(): boolean {
    return this.opts.intake !== undefined;
  }

  /** The quiet time after the last arrival that ends the input, by the gaps alone. */
  private endsAfterMs(): number {
    return Math.max(QUIET_MIN_MS, ENDED_AFTER_GAPS * (this.gapMs ?? 0));
  }

  /** Whether alerts arrive later than the threshold above the baseline (see the class comment); never with a threshold of 0. */
  behind(): boolean {
    return this.opts.thresholdMs > 0 && this.excessMs() > this.opts.thresholdMs;
  }
}
