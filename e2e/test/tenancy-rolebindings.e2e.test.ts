import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, roleBinding, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * tenantKey `user`: a namespace's tenants are the Users its RoleBindings bind. `proj` binds alice
 * and bob (two RoleBindings) and, as a Group, a name that is also a user's (carol), which must not
 * count; `other` binds carol as a User.
 */
const PATHS = ['global', 'alice', 'bob', 'carol'] as const;
type Path = (typeof PATHS)[number];

const keysAt = (sink: WebhookSink, path: Path): string[] =>
  sink
    .accepted(`/${path}`)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => `${a.labels.alertname ?? '?'}@${a.labels.namespace ?? '-'}`))
    .sort();

describe('tenantKey user with RoleBindings', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '300ms', groupLabels: ['alertname', 'namespace'], tenantKey: 'user' }),
        'receivers.yaml': docs(
          webhookReceiver('global', `${sink.url}/global`, { type: 'global' }),
          ...(['alice', 'bob', 'carol'] as const).map((u) => webhookReceiver(`user-${u}`, `${sink.url}/${u}`, { type: 'tenant', user: u })),
        ),
        'rbac.yaml': docs(
          roleBinding('proj', 'alice-view', ['alice', { kind: 'Group', name: 'carol' }, { kind: 'ServiceAccount', name: 'deployer' }]),
          roleBinding('proj', 'bob-edit', ['bob'], 'edit'),
          roleBinding('other', 'carol-admin', ['carol'], 'admin'),
        ),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it("delivers a namespace's alerts to every user bound in it, and to no one else's receiver", async () => {
    const alerts = [
      { labels: { alertname: 'AppDown', namespace: 'proj', severity: 'critical' } },
      { labels: { alertname: 'AppSlow', namespace: 'proj', severity: 'warning' } },
      { labels: { alertname: 'OtherDown', namespace: 'other', severity: 'critical' } },
      { labels: { alertname: 'LonelyDown', namespace: 'unbound', severity: 'critical' } },
      { labels: { alertname: 'ClusterDown', severity: 'critical' } },
    ];
    expect((await stack.postAlerts(alerts)).status).toBe(200);

    const expected: Record<Path, string[]> = {
      global: ['AppDown@proj', 'AppSlow@proj', 'ClusterDown@-', 'LonelyDown@unbound', 'OtherDown@other'],
      alice: ['AppDown@proj', 'AppSlow@proj'],
      bob: ['AppDown@proj', 'AppSlow@proj'],
      carol: ['OtherDown@other'],
    };
    await waitFor('every expected delivery', () => PATHS.every((p) => keysAt(sink, p).length >= expected[p].length), 20_000);
    await sleep(1500);

    expect(Object.fromEntries(PATHS.map((p) => [p, keysAt(sink, p)]))).toEqual(expected);
  });
});
