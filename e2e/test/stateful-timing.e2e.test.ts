import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startWebhookSink, type WebhookSink } from '@nm/testing';
import { around, reconfigure, runScenarios, Scenario, warmUp, type ScenarioResult } from './support/acceptance.js';
import { docs, notificationManager, webhookReceiver, type AggregationSpec } from './support/manifests.js';
import { SERVICES, startStack, type Stack } from './support/stack.js';

/**
 * Stateful aggregation (Alertmanager semantics, alertmanager.md §2, §5) timed end to end: alerts
 * POSTed to ingest, notifications timestamped at a webhook sink. One stack runs three phases, each
 * with its own NotificationManager aggregation settings (the manifest is rewritten between them);
 * a phase runs its scenarios at the same time (their own alertnames, grouped by alertname); every
 * scenario lists every notification it must get, in windows `around(t)` = [t - 0.7 s, t + 1.5 s],
 * and gets nothing else until its end.
 *
 * Group timers: a group created at ~0 flushes at groupWait, then on ticks every groupInterval.
 */
const PATH = '/hook';
const NM_FILE = 'nm.yaml';
const nm = (aggregation: AggregationSpec): string => notificationManager({ groupLabels: ['alertname'], aggregation });

const PHASE_1: AggregationSpec = { mode: 'stateful', groupWait: '1500ms', groupInterval: '4s', repeatInterval: '1h', resolveTimeout: '3s', sendResolved: true };

let stack: Stack;
let sink: WebhookSink;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({
    manifests: { [NM_FILE]: nm(PHASE_1), 'r.yaml': docs(webhookReceiver('all', `${sink.url}${PATH}`, { type: 'global' })) },
    env: {
      // identical bodies are POSTed again on purpose (re-sent alerts): ingest must not drop them
      ingest: { NM_INGEST_DEDUP_WINDOW: '0' },
      aggregator: { NM_AGGREGATOR_TICK_MS: '100' },
    },
  });
  await warmUp(stack, sink, { alertname: 'warmup' });
}, 90_000);
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

function passed(results: Map<string, ScenarioResult> | undefined, name: string): void {
  const r = results?.get(name);
  if (!r) throw new Error(`scenario ${name} did not run`);
  // every service's log tail, read only for a failed scenario
  const logs = (): string[] => SERVICES.map((s) => `${s} log (tail):\n${stack.logs(s).slice(s === 'aggregator' ? -4000 : -1500)}`);
  const problems = r.problems.length > 0 ? [...r.problems, ...logs()] : [];
  expect(problems).toEqual([]);
}

// groupWait 1.5 s, groupInterval 4 s: ticks at 1.5, 5.5, 9.5 (13.5); resolveTimeout 3 s
describe('stateful mode, sendResolved (groupWait 1.5s, groupInterval 4s, repeatInterval 1h, resolveTimeout 3s)', () => {
  let results: Map<string, ScenarioResult> | undefined;

  beforeAll(async () => {
    const opts = { stack, sink, path: PATH };

    // alerts arriving during groupWait join the first notification; a re-sent alert is one alert
    const batch = new Scenario('batch', opts);
    const [b1, b2, b3] = ['1', '2', '3'].map((i) => batch.alert({ alertname: 'batch', instance: i }));
    batch.push(0, b1!.active()).push(0.4, b2!.active()).push(0.8, b3!.active(), b1!.active());
    batch.want(...around(1.5), b1!.firing(), b2!.firing(), b3!.firing());

    // an alert joining a flushed group waits for the next groupInterval tick (5.5), neither
    // flushed at once (2.3) nor after a new groupWait (3.7)
    const tick = new Scenario('tick', opts);
    const [n1, n2] = ['1', '2'].map((i) => tick.alert({ alertname: 'tick', instance: i }));
    tick.push(0, n1!.active()).push(2.2, n2!.active(2.2));
    tick.want(...around(1.5), n1!.firing()).want(...around(5.5), n1!.firing(), n2!.firing());

    // some resolved: sent once with the firing rest (its endsAt); re-sent resolved, not again
    const some = new Scenario('some-resolved', opts);
    const [r1, r2] = ['1', '2'].map((i) => some.alert({ alertname: 'some-resolved', instance: i }));
    some.push(0, r1!.active(), r2!.active()).push(2.5, r2!.ended(2.5)).push(6.5, r2!.ended(2.5));
    some.want(...around(1.5), r1!.firing(), r2!.firing()).want(...around(5.5), r1!.firing(), r2!.resolved(2.5));

    // all resolved: sent once; the group is destroyed; the resolved alert re-sent opens a group
    // that has nothing to say (flush at 8.0)
    const all = new Scenario('all-resolved', opts);
    const s1 = all.alert({ alertname: 'all-resolved', instance: '1' });
    all.push(0, s1.active()).push(2.5, s1.ended(2.5)).push(6.5, s1.ended(2.5));
    all.want(...around(1.5), s1.firing()).want(...around(5.5), s1.resolved(2.5));

    // posted without endsAt: endsAt = receive time + 3 s, renewed by every re-send
    const timeout = new Scenario('timeout', opts);
    const [o1, o2] = ['1', '2'].map((i) => timeout.alert({ alertname: 'timeout', instance: i }));
    timeout.push(0, o1!.activeNoEnd(), o2!.activeNoEnd()).push(2, o2!.activeNoEnd()).push(4, o2!.activeNoEnd());
    timeout
      .want(...around(1.5), o1!.firing(), o2!.firing())
      .want(...around(5.5), o1!.resolved(3, 1), o2!.firing())
      .want(...around(9.5), o2!.resolved(7, 1));

    // resolved → group destroyed at 5.5; firing again at 6.5 opens a new group: flush at 8.0
    // (groupWait), not on the old group's tick (9.5)
    const refire = new Scenario('refire', opts);
    const f1 = refire.alert({ alertname: 'refire', instance: '1' });
    refire.push(0, f1.active()).push(2.5, f1.ended(2.5)).push(6.5, f1.active(6.5));
    refire.want(...around(1.5), f1.firing()).want(...around(5.5), f1.resolved(2.5)).want(7.3, 9.3, f1.firing());

    results = await runScenarios([batch, tick, some, all, timeout, refire].map((scenario) => ({ scenario, untilS: 12 })));
  }, 60_000);

  it('batches alerts that arrive during groupWait into one notification', () => passed(results, 'batch'));
  it('holds a new alert of a flushed group until the next groupInterval tick', () => passed(results, 'tick'));
  it('sends a resolved alert once, with the still-firing ones (sendResolved)', () => passed(results, 'some-resolved'));
  it('sends "all resolved" once, then the destroyed group stays quiet', () => passed(results, 'all-resolved'));
  it('resolves alerts posted without endsAt after resolveTimeout, renewed by re-sends', () => passed(results, 'timeout'));
  it('an alert firing again after its group was destroyed starts a new group (new groupWait)', () => passed(results, 'refire'));
});

// groupWait 1.5 s, groupInterval 3 s: ticks at 1.5, 4.5, 7.5, 10.5, 13.5
describe('stateful mode without sendResolved (groupWait 1.5s, groupInterval 3s, repeatInterval 5s)', () => {
  let results: Map<string, ScenarioResult> | undefined;

  beforeAll(async () => {
    await reconfigure(stack, NM_FILE, nm({ mode: 'stateful', groupWait: '1500ms', groupInterval: '3s', repeatInterval: '5s', sendResolved: false }));
    const opts = { stack, sink, path: PATH };

    // an unchanged group repeats on the first tick strictly more than 5 s after the last
    // notification: 1.5 → 7.5 → 13.5 (not at 4.5 or 10.5)
    const repeat = new Scenario('repeat', opts);
    const p1 = repeat.alert({ alertname: 'repeat', instance: '1' });
    repeat.push(0, p1.active());
    repeat.want(...around(1.5), p1.firing()).want(...around(7.5), p1.firing()).want(...around(13.5), p1.firing());

    // resolved alerts are never sent: not "some resolved" (4.5), not beside a new firing alert
    // (7.5), not "all resolved" (10.5)
    const quiet = new Scenario('quiet', opts);
    const [q1, q2, q3] = ['1', '2', '3'].map((i) => quiet.alert({ alertname: 'quiet', instance: i }));
    quiet.push(0, q1!.active(), q2!.active()).push(2.5, q2!.ended(2.5)).push(5.5, q1!.ended(5.5), q3!.active(5.5)).push(8.5, q3!.ended(8.5));
    quiet.want(...around(1.5), q1!.firing(), q2!.firing()).want(...around(7.5), q3!.firing());

    results = await runScenarios([repeat, quiet].map((scenario) => ({ scenario, untilS: 16 })));
  }, 60_000);

  it('repeats an unchanged group after repeatInterval, not before', () => passed(results, 'repeat'));
  it('never sends resolved alerts without sendResolved', () => passed(results, 'quiet'));
});

describe('mode auto (groupWait 1.5s, groupInterval 3s, repeatInterval 1h; batchMaxWait 1s)', () => {
  let results: Map<string, ScenarioResult> | undefined;

  beforeAll(async () => {
    await reconfigure(stack, NM_FILE, nm({ mode: 'auto', groupWait: '1500ms', groupInterval: '3s', repeatInterval: '1h' }));
    // the same alerts three times: as Alertmanager webhook payloads every POST is notified
    // (batch, ~1 s later); as a JSON array they are one stateful group, notified once
    const auto = new Scenario('auto', { stack, sink, path: PATH });
    const [w1, w2] = ['1', '2'].map((i) => auto.alert({ alertname: 'auto-webhook', instance: i }));
    const [a1, a2] = ['1', '2'].map((i) => auto.alert({ alertname: 'auto-array', instance: i }));
    for (const t of [0, 3, 6]) {
      auto.pushWebhook(t, w1!.active(), w2!.active()).push(t, a1!.active(), a2!.active());
      auto.want(t + 0.3, t + 2.5, w1!.firing(), w2!.firing());
    }
    auto.want(...around(1.5), a1!.firing(), a2!.firing());
    results = await runScenarios([{ scenario: auto, untilS: 10 }]);
  }, 60_000);

  it('notifies webhook-shaped POSTs batch-style and deduplicates the array shape', () => passed(results, 'auto'));
});
