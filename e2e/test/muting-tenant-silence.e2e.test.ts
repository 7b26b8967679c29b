import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManagerInZone, silence, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * Tenant Silences with cron schedules, evaluated in `spec.timeZone` (Asia/Tokyo; the services
 * themselves run in UTC):
 * - ns-a: `* * * * *` for 2m — always active;
 * - ns-b: once a year, about six months from now, for 1m — inactive;
 * - ns-c: daily at the Tokyo wall-clock minute just past, for 10m — active in Tokyo, and would be
 *   inactive if evaluated in the services' own zone (9 hours away).
 * Each mutes `alertname: Backup` for its own tenant's receivers only.
 */
const ZONE = 'Asia/Tokyo';
const PATHS = ['global', 'tenant-a', 'tenant-b', 'tenant-c'] as const;
type Path = (typeof PATHS)[number];

/** Wall-clock fields of `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string): { minute: number; hour: number; day: number; month: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
    .formatToParts(at)
    .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
  return { minute: parts.minute ?? 0, hour: parts.hour ?? 0, day: parts.day ?? 1, month: parts.month ?? 1 };
}

const keysAt = (sink: WebhookSink, path: Path): string[] =>
  sink
    .accepted(`/${path}`)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => `${a.labels.alertname ?? '?'}@${a.labels.namespace ?? '-'}`))
    .sort();

describe('tenant Silences with cron schedules', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    const now = Date.now();
    const justPast = wallClock(new Date(now - 60_000), ZONE);
    const farAway = wallClock(new Date(now + 180 * 86_400_000), ZONE);
    const tenant = (ns: string): Record<string, string> => ({ type: 'tenant', namespace: ns });
    const backup = { matchLabels: { alertname: 'Backup' } };
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManagerInZone(ZONE, { batchMaxWait: '300ms', groupLabels: ['alertname', 'namespace'] }),
        'receivers.yaml': docs(
          webhookReceiver('global', `${sink.url}/global`, { type: 'global' }),
          ...(['a', 'b', 'c'] as const).map((t) => webhookReceiver(`tenant-${t}`, `${sink.url}/tenant-${t}`, tenant(`ns-${t}`))),
        ),
        'silences.yaml': docs(
          silence('a-every-minute', tenant('ns-a'), backup, { schedule: '* * * * *', duration: '2m' }),
          silence('b-once-a-year', tenant('ns-b'), backup, { schedule: `30 12 ${Math.min(farAway.day, 28)} ${farAway.month} *`, duration: '1m' }),
          silence('c-tokyo-daily', tenant('ns-c'), backup, { schedule: `${justPast.minute} ${justPast.hour} * * *`, duration: '10m' }),
        ),
      },
      env: { router: { TZ: 'UTC' }, silencer: { TZ: 'UTC' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it("mutes matching alerts for the silencing tenant's receivers only, while its schedule is active", async () => {
    const alerts = [
      { labels: { alertname: 'Backup', namespace: 'ns-a' } },
      { labels: { alertname: 'Restore', namespace: 'ns-a' } },
      { labels: { alertname: 'Backup', namespace: 'ns-b' } },
      { labels: { alertname: 'Backup', namespace: 'ns-c' } },
      { labels: { alertname: 'Restore', namespace: 'ns-c' } },
    ];
    expect((await stack.postAlerts(alerts)).status).toBe(200);

    const expected: Record<Path, string[]> = {
      // tenant silences never touch global receivers
      global: ['Backup@ns-a', 'Backup@ns-b', 'Backup@ns-c', 'Restore@ns-a', 'Restore@ns-c'],
      'tenant-a': ['Restore@ns-a'],
      'tenant-b': ['Backup@ns-b'],
      'tenant-c': ['Restore@ns-c'],
    };
    await waitFor('every expected delivery', () => PATHS.every((p) => keysAt(sink, p).length >= expected[p].length), 20_000);
    await sleep(1500);

    expect(Object.fromEntries(PATHS.map((p) => [p, keysAt(sink, p)]))).toEqual(expected);
  });
});
