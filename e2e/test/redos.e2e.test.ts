import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, silence, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * A global Silence whose `Match` regex is the textbook catastrophic-backtracking pattern. With a
 * backtracking engine, one alert whose `pod` is 40 `a`s and a `!` pins the silencer's event loop for
 * hours and every tenant behind it waits; with RE2 semantics the match runs in linear time.
 *
 * RE2 answers: `^(a+)+$` does not match `aaaa…a!` (so those alerts are delivered) and does match
 * `aaaa…a` (so that alert is silenced).
 */
const HOSTILE_REGEX = '^(a+)+$';
const HOSTILE_POD = `${'a'.repeat(40)}!`;
const MATCHING_POD = 'a'.repeat(40);
const HOSTILE_COPIES = 3;

const alertnames = (sink: WebhookSink, path: string): string[] =>
  sink
    .accepted(path)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname ?? '?'))
    .sort();

describe('a hostile Match regex in a global Silence', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '500ms', groupLabels: ['alertname', 'namespace'] }),
        'receivers.yaml': docs(
          webhookReceiver('global-ops', `${sink.url}/global`, { type: 'global' }),
          webhookReceiver('tenant-hostile', `${sink.url}/ns-hostile`, { type: 'tenant', namespace: 'ns-hostile' }),
          webhookReceiver('tenant-calm', `${sink.url}/ns-calm`, { type: 'tenant', namespace: 'ns-calm' }),
        ),
        'silence.yaml': silence('hostile-regex', { type: 'global' }, { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: HOSTILE_REGEX }] }),
      },
    });
  });
  afterAll(async () => {
    // A service stuck in a regex never runs its SIGTERM handler: end the regex evaluators hard first.
    await stack?.kill9('silencer');
    await stack?.kill9('router');
    await stack?.stop();
    await sink?.close();
  });

  it('keeps delivering a calm tenant promptly and silences exactly what RE2 matches', async () => {
    // Separate POSTs (distinct bodies, so ingest stores each): one pipeline message per copy.
    for (let i = 1; i <= HOSTILE_COPIES; i++) {
      const alerts = [{ labels: { alertname: `Hostile${i}`, namespace: 'ns-hostile', pod: HOSTILE_POD } }];
      if (i === 1) alerts.push({ labels: { alertname: 'Matching', namespace: 'ns-hostile', pod: MATCHING_POD } });
      expect((await stack.postAlerts(alerts)).status).toBe(200);
    }
    expect((await stack.postAlerts([{ labels: { alertname: 'Calm', namespace: 'ns-calm', pod: 'web-1' } }])).status).toBe(200);

    // A backtracking engine needs hours for the first hostile alert; 20 s is generous for RE2.
    await waitFor('calm alert delivered', () => alertnames(sink, '/ns-calm').includes('Calm'), 20_000);

    const hostile = Array.from({ length: HOSTILE_COPIES }, (_, i) => `Hostile${i + 1}`);
    await waitFor('hostile alerts delivered', () => alertnames(sink, '/ns-hostile').length === HOSTILE_COPIES, 20_000);
    // one more flush window: nothing else arrives
    await sleep(1500);

    expect(alertnames(sink, '/ns-calm')).toEqual(['Calm']);
    expect(alertnames(sink, '/ns-hostile')).toEqual(hostile);
    expect(alertnames(sink, '/global')).toEqual(['Calm', ...hostile].sort());
    // the alert the regex does match was silenced everywhere
    expect(sink.requests.filter((r) => r.rawBody.includes('"Matching"'))).toHaveLength(0);
  });
});
