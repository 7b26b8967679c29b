import { describe, expect, it } from '@jest/globals';
import type { IntakeState } from '@nm/service-kit';
import { INTAKE_IDLE_MS, INTAKE_QUIET_MS, InputLag, QUIET_MIN_MS } from './input.lag.js';

/** A clock the test moves; `received(msAgo)` is the ISO time of a receipt that long before now. */
function clock(start = Date.parse('2026-12-01T00:00:00Z')) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
    received: (msAgo: number) => new Date(t - msAgo).toISOString(),
  };
}

describe('InputLag', () => {
  it('is behind while recent arrivals are later than the threshold above the lowest delay seen', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 200, now: c.now });
    expect(lag.behind()).toBe(false); // nothing arrived
    lag.observe(c.received(5)); // the pipeline keeps up: 5 ms
    expect(lag.behind()).toBe(false);
    c.advance(100);
    lag.observe(c.received(150));
    expect(lag.excessMs()).toBe(145);
    expect(lag.behind()).toBe(false); // 145 ms above the baseline: not more than 200
    c.advance(100);
    lag.observe(c.received(900));
    expect(lag.excessMs()).toBe(895);
    expect(lag.behind()).toBe(true);
    c.advance(100);
    lag.observe(c.received(20)); // caught up
    expect(lag.behind()).toBe(false);
  });

  it('takes a constant clock offset between ingest and the aggregator as the baseline, in either direction', () => {
    for (const offset of [5_000, -5_000]) {
      const c = clock();
      const lag = new InputLag({ thresholdMs: 200, now: c.now });
      for (let i = 0; i < 10; i++) {
        lag.observe(c.received(offset + 10 + i * 5)); // an ingest clock 5 s behind (or ahead) of this one
        c.advance(50);
      }
      expect(lag.behind()).toBe(false);
      lag.observe(c.received(offset + 600));
      expect(lag.behind()).toBe(true);
    }
  });

  it('is idle, not behind, when nothing arrived for recentMs', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 200, recentMs: 1000, now: c.now });
    lag.observe(c.received(5));
    lag.observe(c.received(2_000));
    expect(lag.behind()).toBe(true);
    c.advance(1001);
    expect(lag.behind()).toBe(false);
    expect(lag.excessMs()).toBe(0);
  });

  it('counts a little lateness as idle sooner: after twice the lateness, at least a quarter second', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 100, recentMs: 1000, now: c.now });
    lag.observe(c.received(5)); // the baseline
    lag.observe(c.received(305)); // 300 ms late: idle after 600 ms without another arrival
    c.advance(590);
    expect(lag.behind()).toBe(true);
    c.advance(20);
    expect(lag.behind()).toBe(false);
    lag.observe(c.received(125)); // 120 ms late: idle after the 250 ms minimum, not 240
    c.advance(245);
    expect(lag.excessMs()).toBe(120);
    expect(lag.behind()).toBe(true);
    c.advance(10);
    expect(lag.excessMs()).toBe(0);
    expect(lag.behind()).toBe(false);
    lag.observe(c.received(3_005)); // 3 s late (a stage was down): held for at most recentMs
    c.advance(1000);
    expect(lag.behind()).toBe(true);
    c.advance(1);
    expect(lag.behind()).toBe(false);
  });

  it('forgets the baseline after two windows, so a lasting shift of the delay stops counting as late', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 200, windowMs: 1000, now: c.now });
    lag.observe(c.received(5));
    c.advance(500);
    lag.observe(c.received(800));
    expect(lag.behind()).toBe(true);
    // the delay stays at 800 ms: the baseline is the lowest of this and the previous window
    for (let i = 0; i < 5; i++) {
      c.advance(500);
      lag.observe(c.received(800));
    }
    expect(lag.behind()).toBe(false);
  });

  it('ignores an unreadable receive time, and a threshold of 0 turns the signal off, not the measure', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 200, now: c.now });
    lag.observe('not a time');
    expect(lag.behind()).toBe(false);
    expect(lag.excessMs()).toBe(0);
    const off = new InputLag({ thresholdMs: 0, now: c.now });
    off.observe(c.received(5));
    off.observe(c.received(60_000));
    expect(off.behind()).toBe(false);
    expect(off.excessMs()).toBe(59_995);
  });
  it('has ended once nothing arrived for four of its recent gaps, and at least a quarter second', () => {
    const c = clock();
    const lag = new InputLag({ thresholdMs: 200, now: c.now });
    expect(lag.ended()).toBe(true); // nothing arrived yet
    lag.observe(c.received(5));
    expect(lag.ended()).toBe(false);
    c.advance(250);
    expect(lag.ended()).toBe(false); // no gap known: a quarter second
    expect(lag.untilEndedMs()).toBe(0);
    c.advance(1);
    expect(lag.ended()).toBe(true);
    // a burst every 5 ms: ended a quarter second after its last message
    for (let i = 0; i < 50; i++) {
      lag.observe(c.received(5));
      c.advance(5);
    }
    c.advance(240);
    expect(lag.ended()).toBe(false);
    c.advance(10);
    expect(lag.ended()).toBe(true);
    // input every second: not ended between arrivals, ended four seconds after the last
    const slow = new InputLag({ thresholdMs: 200, now: c.now });
    for (let i = 0; i < 5; i++) {
      slow.observe(c.received(5));
      c.advance(1_000);
    }
    expect(slow.ended()).toBe(false);
    c.advance(2_900);
    expect(slow.ended()).toBe(false);
    c.advance(200);
    expect(slow.ended()).toBe(true);
    // a message whose receipt time is unreadable or not given (a redelivery) still counts as input
    slow.observe('not a time');
    expect(slow.ended()).toBe(false);
    c.advance(5_300); // four of its recent gaps, the long one just seen weighed in (1,310 ms)
    expect(slow.ended()).toBe(true);
    slow.observe(undefined);
    expect(slow.ended()).toBe(false);
    expect(slow.excessMs()).toBe(0); // and says nothing of the lateness
    // after an hour without input, a burst every 5 ms has ended a quarter second after its last
    // message again: the hour counts as 5 s towards the pace, and the burst's own gaps soon outweigh it
    const after = new InputLag({ thresholdMs: 200, now: c.now });
    after.observe(c.received(5));
    c.advance(3_600_000);
    for (let i = 0; i < 50; i++) {
      after.observe(c.received(5));
      c.advance(5);
    }
    c.advance(250);
    expect(after.ended()).toBe(true);
  });
  it('has ended sooner by ingest\'s state: ingest idle, and every message it stored seen', () => {
    const c = clock();
    const state: IntakeState = { inFlight: 2, idleMs: 0, publishedSeq: 40 };
    const lag = new InputLag({ thresholdMs: 200, now: c.now, intake: () => ({ ...state }) });
    expect(lag.watchesIntake()).toBe(true);
    for (let seq = 1; seq <= 40; seq++) {
      lag.observe(c.received(5), seq);
      c.advance(2);
    }
    // ingest still has requests in hand: the quiet time alone counts
    c.advance(INTAKE_QUIET_MS + 100);
    expect(lag.ended()).toBe(false);
    // ingest idle long enough, but the last message it stored (seq 41) not seen yet
    Object.assign(state, { inFlight: 0, idleMs: INTAKE_IDLE_MS + 50, publishedSeq: 41 });
    expect(lag.ended()).toBe(false);
    lag.observe(c.received(5), 41);
    // seen: ended once nothing arrived for INTAKE_QUIET_MS
    expect(lag.untilEndedMs()).toBe(INTAKE_QUIET_MS);
    c.advance(INTAKE_QUIET_MS + 1);
    expect(lag.ended()).toBe(true);
    // ingest idle for less than INTAKE_IDLE_MS: ended when it has been for that long
    lag.observe(c.received(5), 42);
    Object.assign(state, { idleMs: 30, publishedSeq: 42 });
    c.advance(INTAKE_QUIET_MS + 1);
    expect(lag.untilEndedMs()).toBe(INTAKE_IDLE_MS - 30);
    state.idleMs = INTAKE_IDLE_MS + 1;
    expect(lag.ended()).toBe(true);
    // never later than the quiet time would end it
    Object.assign(state, { idleMs: 0 });
    c.advance(QUIET_MIN_MS);
    expect(lag.ended()).toBe(true);
    // nothing stored by ingest yet (its messages come from elsewhere): the quiet time alone
    const other = new InputLag({ thresholdMs: 200, now: c.now, intake: () => ({ inFlight: 0, idleMs: Infinity, publishedSeq: 0 }) });
    other.observe(c.received(5), 7);
    c.advance(INTAKE_QUIET_MS + 1);
    expect(other.ended()).toBe(false);
    // without ingest's state nothing changes
    const alone = new InputLag({ thresholdMs: 200, now: c.now });
    expect(alone.watchesIntake()).toBe(false);
    alone.observe(c.received(5), 7);
    c.advance(QUIET_MIN_MS);
    expect(alone.ended()).toBe(false);
    // given but unknown yet (ingest took no request): watched, and the quiet time alone counts meanwhile
    const unknown = new InputLag({ thresholdMs: 200, now: c.now, intake: () => undefined });
    expect(unknown.watchesIntake()).toBe(true);
    unknown.observe(c.received(5), 7);
    c.advance(QUIET_MIN_MS);
    expect(unknown.ended()).toBe(false);
    c.advance(1);
    expect(unknown.ended()).toBe(true);
  });

  it('has not ended in the pause between bursts that come a regular pause apart, within burstsWithinMs', () => {
    const c = clock();
    const burst = (lag: InputLag): void => {
      for (let i = 0; i < 20; i++) {
        lag.observe(c.received(5));
        c.advance(5);
      }
    };
    const periodic = new InputLag({ thresholdMs: 200, burstsWithinMs: 5_000, now: c.now });
    const plain = new InputLag({ thresholdMs: 200, now: c.now });
    for (const lag of [periodic, plain]) {
      const start = c.now();
      burst(lag);
      c.advance(1_900); // a 2 s period
      burst(lag);
      c.advance(300);
      expect(lag.ended()).toBe(true); // one pause seen: not yet a pattern
      c.advance(1_600);
      burst(lag);
      c.advance(300);
      // two pauses of about 1.9 s: the next burst is expected within 1.5 of the last one
      expect(lag.ended()).toBe(lag !== periodic);
      c.advance(2_600);
      expect(lag.ended()).toBe(true);
      c.advance(Math.max(0, start + 100_000 - c.now())); // the next instance starts afresh
    }
    // pauses longer than burstsWithinMs (a held group could not take the next burst) end it as before
    const sparse = new InputLag({ thresholdMs: 200, burstsWithinMs: 1_000, now: c.now });
    for (let k = 0; k < 3; k++) {
      if (k > 0) c.advance(1_900);
      burst(sparse);
    }
    c.advance(300);
    expect(sparse.ended()).toBe(true);
  });
});
