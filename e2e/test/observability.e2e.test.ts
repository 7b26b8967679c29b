import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, sleep, startOtlpReceiver, startWebhookSink, waitFor, type OtlpReceiver, type ReceivedSpan, type WebhookSink } from '@nm/testing';
import { docs, globalSilence, inhibitRule, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, SERVICES, type Service, type Stack, type WebhookNotification } from './support/stack.js';
import { metricValue } from './support/metrics.js';

/**
 * Traces and metrics of one scripted mix of alerts over the real stack (every service its own
 * process, exporting OTLP/HTTP JSON to a receiver in this test):
 * - `Delivered` (namespace apps) reaches the webhook sink;
 * - `Silenced` matches the global Silence `mute-silenced`;
 * - `Target` is inhibited by the firing `Source` (InhibitRule `source-mutes-target`; Source is delivered);
 * - `Lost` (namespace nowhere) reaches no receiver;
 * - `Broken` (namespace bad) goes to a receiver whose endpoint answers 400: dead-lettered.
 * Each POST carries its own `traceparent`, so each alert's trace id is known in advance.
 */
describe('observability: one trace per POST through every stage, and a counter for every outcome', () => {
  let sink: WebhookSink;
  let otlp: OtlpReceiver;
  let stack: Stack;
  const healthPorts = new Map<Service, number>();

  beforeAll(async () => {
    sink = await startWebhookSink();
    sink.respondWith((r) => (r.path === '/bad' ? { status: 400, body: 'no such hook' } : undefined));
    otlp = await startOtlpReceiver();
    for (const s of SERVICES) healthPorts.set(s, await freePort());
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname', 'namespace'] }),
        'receivers.yaml': docs(
          webhookReceiver('apps', `${sink.url}/apps`, { type: 'tenant', namespace: 'apps' }),
          webhookReceiver('bad', `${sink.url}/bad`, { type: 'tenant', namespace: 'bad' }),
        ),
        'silence.yaml': globalSilence('mute-silenced', { alertname: 'Silenced' }),
        'inhibit.yaml': inhibitRule('source-mutes-target', { type: 'global' }, {
          sourceSelector: { matchLabels: { alertname: 'Source' } },
          targetSelector: { matchLabels: { alertname: 'Target' } },
          equal: ['namespace'],
        }),
      },
      commonEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      env: Object.fromEntries(SERVICES.map((s) => [s, { NM_HEALTH_PORT: String(healthPorts.get(s)) }])),
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await otlp?.close();
  });

  /** The value of one series on a service's /metrics (0 when the series does not exist yet). */
  const sample = (service: Service, name: string, labels: Record<string, string>): Promise<number> =>
    metricValue(service === 'ingest' ? Number(new URL(stack.ingestUrl).port) : healthPorts.get(service)!, name, labels);

  const COUNTERS: Array<{ service: Service; name: string; labels: Record<string, string>; expected: number }> = [
    { service: 'silencer', name: 'nm_alerts_dropped_total', labels: { stage: 'silencer', reason: 'silenced' }, expected: 1 },
    { service: 'silencer', name: 'nm_alerts_dropped_total', labels: { stage: 'silencer', reason: 'inhibited' }, expected: 1 },
    { service: 'router', name: 'nm_alerts_dropped_total', labels: { stage: 'router', reason: 'no-receiver' }, expected: 1 },
    { service: 'sender-webhook', name: 'nm_dead_letters_total', labels: { stage: 'sender-webhook', reason: 'permanent-error' }, expected: 1 },
    { service: 'sender-webhook', name: 'nm_notifications_total', labels: { channel: 'webhook', result: 'delivered' }, expected: 2 },
    { service: 'sender-webhook', name: 'nm_notifications_total', labels: { channel: 'webhook', result: 'failed' }, expected: 1 },
    { service: 'silencer', name: 'nm_silencer_alerts_total', labels: { outcome: 'admitted' }, expected: 3 + 1 }, // Delivered, Source, Lost, Broken
  ];

  const traceIds = new Map<string, string>();
  const parentSpanIds = new Map<string, string>();
  /** POSTs one alert with a traceparent of its own. */
  const post = async (alertname: string, namespace: string): Promise<void> => {
    const traceId = randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    traceIds.set(alertname, traceId);
    parentSpanIds.set(alertname, spanId);
    const res = await fetch(`${stack.ingestUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${spanId}-01` },
      body: JSON.stringify([{ labels: { alertname, namespace, severity: 'warning' }, annotations: { message: `${alertname} in ${namespace}` } }]),
    });
    expect(res.status).toBe(200);
  };

  const before = new Map<number, number>();
  const spansOf = (alertname: string): ReceivedSpan[] => otlp.trace(traceIds.get(alertname)!);
  const named = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);

  it('runs the scripted mix', async () => {
    for (const [i, c] of COUNTERS.entries()) before.set(i, await sample(c.service, c.name, c.labels));
    await post('Delivered', 'apps');
    await post('Source', 'apps');
    await waitFor('Source delivered', () => sink.accepted('/apps').some((r) => (r.body as WebhookNotification).alerts.some((a) => a.labels.alertname === 'Source')), 20_000);
    await post('Target', 'apps');
    await post('Silenced', 'apps');
    await post('Lost', 'nowhere');
    await post('Broken', 'bad');
    await waitFor('Delivered at the sink and Broken refused', () => sink.accepted('/apps').length >= 2 && sink.requests.some((r) => r.path === '/bad'), 20_000);
    await sleep(1500); // anything wrongly let through would arrive meanwhile
    const delivered = sink.accepted('/apps').flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname)).sort();
    expect(delivered).toEqual(['Delivered', 'Source']);
  });

  it('moves each outcome counter by exactly the expected amount', async () => {
    await waitFor(
      'dead letter counted',
      async () => (await sample('sender-webhook', 'nm_dead_letters_total', { stage: 'sender-webhook', reason: 'permanent-error' })) >= 1,
      10_000,
    );
    const moved = await Promise.all(COUNTERS.map(async (c, i) => ({ ...c, delta: (await sample(c.service, c.name, c.labels)) - (before.get(i) ?? 0) })));
    expect(moved.map((m) => `${m.name}${JSON.stringify(m.labels)} +${m.delta}`)).toEqual(COUNTERS.map((c) => `${c.name}${JSON.stringify(c.labels)} +${c.expected}`));
  });

  it('serves consumer lag per stage and the end-to-end latency per channel, with process metrics named once', async () => {
    const text = await (await fetch(`http://127.0.0.1:${healthPorts.get('router')}/metrics`)).text();
    expect(text).toMatch(/^nm_consumer_pending_messages\{stage="router",consumer="router"\} 0$/m);
    expect(text).toMatch(/^nm_consumer_ack_pending_messages\{stage="router",consumer="router"\} \d+$/m);
    expect(text).toMatch(/^nm_process_cpu_user_seconds_total /m);
    expect(text).not.toContain('nm_process_process_');
    const sender = await (await fetch(`http://127.0.0.1:${healthPorts.get('sender-webhook')}/metrics`)).text();
    expect(sender).toMatch(/^nm_alert_latency_seconds_count\{channel="webhook"\} 2$/m);
  });

  it('the delivered webhook request carries a traceparent whose trace has a span from ingest, silencer, router, aggregator and the sender', async () => {
    const request = sink.accepted('/apps').find((r) => (r.body as WebhookNotification).alerts.some((a) => a.labels.alertname === 'Delivered'))!;
    const traceparent = String(request.headers.traceparent ?? '');
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent);
    expect(m).not.toBeNull();
    const [, traceId, parentId] = m!;
    // one POST, one trace: the notification continues the trace the POST started
    expect(traceId).toBe(traceIds.get('Delivered'));
    await waitFor('sender spans exported', () => named(otlp.trace(traceId!), 'webhook deliver').length > 0, 15_000);
    const spans = otlp.trace(traceId!);

    const ingest = spans.find((s) => s.service === 'ingest' && s.name === 'POST /api/v2/alerts');
    expect(ingest?.parentSpanId).toBe(parentSpanIds.get('Delivered')); // continues the caller's trace
    expect(ingest?.attributes['http.response.status_code']).toBe(200);
    const byService = (service: string, name: string): ReceivedSpan | undefined => spans.find((s) => s.service === service && s.name === name);
    const silencer = byService('silencer', 'silencer process');
    const router = byService('router', 'router process');
    const aggregator = byService('aggregator', 'aggregator process');
    const notify = byService('aggregator', 'aggregator notify');
    const consume = byService('sender-webhook', 'sender-webhook process');
    const deliver = byService('sender-webhook', 'webhook deliver');
    for (const s of [silencer, router, aggregator, notify, consume, deliver]) expect(s).toBeDefined();
    // consume → decide → publish: each stage's span is the child of the span that published its input
    expect(silencer!.parentSpanId).toBe(ingest!.spanId);
    expect(router!.parentSpanId).toBe(silencer!.spanId);
    expect(aggregator!.parentSpanId).toBe(router!.spanId);
    expect(notify!.parentSpanId).toBe(aggregator!.spanId);
    expect(notify!.links.map((l) => `${l.traceId}/${l.spanId}`)).toEqual([`${traceId}/${aggregator!.spanId}`]);
    expect(consume!.parentSpanId).toBe(notify!.spanId);
    expect(deliver!.parentSpanId).toBe(consume!.spanId);
    // the webhook request is the delivery span's child
    expect(parentId).toBe(deliver!.spanId);
    // the routing decision
    expect(router!.attributes['nm.route.receivers']).toEqual(['apps/webhook/apps']);
    expect(router!.attributes['nm.alerts.routed']).toBe(1);
    expect(silencer!.attributes['nm.alerts.admitted']).toBe(1);
    expect(notify!.attributes['nm.receiver']).toBe('apps/webhook/apps');
    expect(deliver!.attributes['nm.delivery.units.delivered']).toBe(1);
    expect(consume!.attributes['nm.stage']).toBe('sender-webhook');
  });

  it("a silenced alert's trace names the Silence; an inhibited one the InhibitRule; an unrouted one says so", async () => {
    await waitFor('silencer spans exported', () => ['Silenced', 'Target', 'Lost'].every((a) => named(spansOf(a), 'silencer process').length > 0), 15_000);
    const silenced = named(spansOf('Silenced'), 'silencer process')[0]!;
    expect(silenced.attributes['nm.silenced_by']).toEqual(['mute-silenced']);
    expect(silenced.events.map((e) => [e.name, e.attributes['nm.silenced_by']])).toEqual([['alert silenced', ['mute-silenced']]]);
    expect(named(spansOf('Silenced'), 'router process')).toEqual([]); // nothing went on

    const inhibited = named(spansOf('Target'), 'silencer process')[0]!;
    expect(inhibited.attributes['nm.inhibited_by']).toEqual(['source-mutes-target']);

    await waitFor('router span of Lost exported', () => named(spansOf('Lost'), 'router process').length > 0, 15_000);
    const lost = named(spansOf('Lost'), 'router process')[0]!;
    expect(lost.attributes['nm.alerts.unrouted']).toBe(1);
    expect(lost.events.map((e) => e.attributes['nm.route.reason'])).toEqual(['no-receiver']);
  });

  it("a dead-lettered notification's trace shows the reason", async () => {
    await waitFor('dead letter span exported', () => named(spansOf('Broken'), 'sender-webhook process').some((s) => s.events.some((e) => e.name === 'dead-lettered')), 15_000);
    const consume = named(spansOf('Broken'), 'sender-webhook process').find((s) => s.events.some((e) => e.name === 'dead-lettered'))!;
    const event = consume.events.find((e) => e.name === 'dead-lettered')!;
    expect(event.attributes['nm.dead_letter.reason']).toBe('permanent-error');
    expect(String(event.attributes['error.message'])).toMatch(/400/);
    expect(consume.status.code).toBe(2); // error
    const deliver = named(spansOf('Broken'), 'webhook deliver')[0]!;
    expect(deliver.attributes['nm.delivery.units.failed']).toBe(1);
    expect(otlp.rejected).toBe(0);
  });
});

describe('observability: stateful aggregation links the notification to its alerts’ traces', () => {
  let sink: WebhookSink;
  let otlp: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    otlp = await startOtlpReceiver();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ groupLabels: ['alertname', 'namespace'], aggregation: { mode: 'stateful', groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' } }),
        'receivers.yaml': webhookReceiver('apps', `${sink.url}/apps`, { type: 'tenant', namespace: 'apps' }),
      },
      commonEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await otlp?.close();
  });

  it('two POSTs of one group: one notification whose span links to both traces', async () => {
    const traces: string[] = [];
    for (const pod of ['p1', 'p2']) {
      const traceId = randomBytes(16).toString('hex');
      traces.push(traceId);
      const res = await fetch(`${stack.ingestUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        body: JSON.stringify([{ labels: { alertname: 'Grouped', namespace: 'apps', pod } }]),
      });
      expect(res.status).toBe(200);
    }
    await waitFor('one notification with both alerts', () => sink.accepted('/apps').some((r) => (r.body as WebhookNotification).alerts.length === 2), 20_000);
    const request = sink.accepted('/apps').find((r) => (r.body as WebhookNotification).alerts.length === 2)!;
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(request.headers.traceparent))![1]!;
    expect(traces).not.toContain(traceId); // alerts of two traces: the notification starts its own
    await waitFor('notification span exported', () => otlp.trace(traceId).some((s) => s.name === 'aggregator notify'), 15_000);
    const notify = otlp.trace(traceId).find((s) => s.name === 'aggregator notify')!;
    expect(notify.parentSpanId).toBeUndefined();
    expect(notify.links.map((l) => l.traceId).sort()).toEqual([...traces].sort());
    // each link points at the aggregator span that stored the alert, in the alert's trace
    for (const l of notify.links) expect(otlp.trace(l.traceId).find((s) => s.spanId === l.spanId)?.name).toBe('aggregator process');
    await waitFor('sender span exported', () => otlp.trace(traceId).some((s) => s.name === 'webhook deliver'), 15_000);
  });
});
