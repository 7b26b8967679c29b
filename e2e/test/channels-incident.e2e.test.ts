import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { startVendorFake, type RecordedRequest, type VendorFake } from '@nm/testing/vendor-fake';
import { INCIDENT_SENDERS, SERVICES, startStack, type Stack } from './support/stack.js';

const API = 'notification.kubesphere.io/v2beta2';
const SECRET_NS = 'nm-system';
const docs = (...objects: object[]): string => objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n');
const secretRef = (name: string, key: string): object => ({ valueFrom: { secretKeyRef: { name, key } } });

const TEAMS = { workflow: 'wf-e2e', sig: 'teams-sig-e2e' };
const CHAT = { space: 'AAAAe2e', key: 'chat-key-e2e', token: 'chat-token-e2e' };
const ROUTING_KEY = 'E2ER0UT1NGKEY0000000000000000001';
const GENIE_KEY = 'genie-key-e2e';
const ALERTNAME = 'IncidentE2ENodeDown';

const bodyOf = (r: RecordedRequest): Record<string, unknown> => (r.body ?? {}) as Record<string, unknown>;
const statusOf = (r: RecordedRequest): number => ('reset' in r.response ? 0 : r.response.status);

describe('Teams, PagerDuty, Opsgenie and Google Chat deliver through their own processes', () => {
  let fake: VendorFake;
  let stack: Stack;

  beforeAll(async () => {
    fake = await startVendorFake({
      teams: { webhooks: { [TEAMS.workflow]: TEAMS.sig } },
      googlechat: { spaces: { [CHAT.space]: { key: CHAT.key, token: CHAT.token } } },
      pagerduty: { routingKeys: [ROUTING_KEY] },
      opsgenie: { apiKeys: [GENIE_KEY] },
    });
    const manifests = docs(
      {
        apiVersion: API,
        kind: 'NotificationManager',
        metadata: { name: 'notification-manager' },
        spec: {
          defaultSecretNamespace: SECRET_NS,
          defaultConfigSelector: { matchLabels: { type: 'default' } },
          receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } },
          groupLabels: ['alertname', 'namespace'],
          batchMaxSize: 100,
          batchMaxWait: '300ms',
          aggregation: { mode: 'batch' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'incident-credentials', namespace: SECRET_NS },
        stringData: {
          teamsWebhook: fake.teamsWebhookUrl(TEAMS.workflow, TEAMS.sig),
          chatWebhook: fake.googlechatWebhookUrl(CHAT.space, CHAT.key, CHAT.token),
          routingKey: ROUTING_KEY,
          genieKey: GENIE_KEY,
        },
      },
      {
        apiVersion: API,
        kind: 'Config',
        metadata: { name: 'default-opsgenie', labels: { type: 'default' } },
        spec: { opsgenie: { apiKey: secretRef('incident-credentials', 'genieKey') } },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'oncall', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          teams: { webhook: secretRef('incident-credentials', 'teamsWebhook') },
          googlechat: { webhook: secretRef('incident-credentials', 'chatWebhook') },
          pagerduty: { routingKey: secretRef('incident-credentials', 'routingKey'), component: 'kubelet' },
          opsgenie: { responders: [{ type: 'team', name: 'platform' }], tags: ['k8s'], priority: 'P2' },
        },
      },
    );
    stack = await startStack({
      manifests: { 'incident.yaml': manifests },
      services: [...SERVICES, ...INCIDENT_SENDERS],
      readyTimeoutMs: 170_000, // ten processes on a loaded machine
      env: {
        'sender-pagerduty': { NM_PAGERDUTY_API_URL: fake.urls.pagerdutyApi },
        'sender-opsgenie': { NM_OPSGENIE_API_URL: fake.urls.opsgenieApi },
      },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  const dumpOnFailure = (err: Error): never => {
    const dump = INCIDENT_SENDERS.map((s) => `--- ${s}\n${stack.logs(s).slice(-1500)}`).join('\n');
    throw new Error(`${err.message}\n${dump}`);
  };

  it('fires one alert into each channel once, then resolves it: PagerDuty and Opsgenie close what they opened with the same group key', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = { labels: { alertname: ALERTNAME, namespace: 'team-a', severity: 'critical', node: 'node-7' }, annotations: { message: 'node-7 is not ready' }, startsAt };
    expect((await stack.postAlerts([alert])).status).toBe(200);

    await waitFor(
      'the firing alert at every vendor',
      () =>
        fake.requestsTo('teams.webhook').length >= 1 &&
        fake.requestsTo('googlechat.webhook').length >= 1 &&
        fake.requestsTo('pagerduty.enqueue').length >= 1 &&
        fake.requestsTo('opsgenie.create').length >= 1,
      60_000,
    ).catch(dumpOnFailure);
    await new Promise((r) => setTimeout(r, 1000));

    // one request each, accepted, naming the alert
    for (const route of ['teams.webhook', 'googlechat.webhook', 'pagerduty.enqueue', 'opsgenie.create'] as const) {
      const reqs = fake.requestsTo(route);
      expect([route, reqs.length, reqs.map(statusOf)]).toEqual([route, 1, [route === 'googlechat.webhook' ? 200 : 202]]);
      expect([route, reqs[0]!.rawBody.includes('node-7 is not ready')]).toEqual([route, true]);
    }
    const teamsCard = bodyOf(fake.requestsTo('teams.webhook')[0]!) as { attachments: { contentType: string }[] };
    expect(teamsCard.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const trigger = bodyOf(fake.requestsTo('pagerduty.enqueue')[0]!) as { event_action: string; dedup_key: string; payload: { severity: string; component: string } };
    expect(trigger).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical', component: 'kubelet' } });
    const create = fake.requestsTo('opsgenie.create')[0]!;
    expect(create.headers.authorization).toBe(`GenieKey ${GENIE_KEY}`);
    expect(bodyOf(create)).toMatchObject({ priority: 'P2', tags: ['k8s'], responders: [{ type: 'team', name: 'platform' }] });
    // the keys are the notifications' group keys: the channel's receiver and the group labels
    const groupLabels = `{alertname="${ALERTNAME}", namespace="team-a"}`;
    const pdKey = `pagerduty/oncall:${groupLabels}`;
    const alias = `opsgenie/oncall:${groupLabels}`;
    expect(trigger.dedup_key).toBe(pdKey);
    expect(bodyOf(create).alias).toBe(alias);
    const incidents = (): (string | number)[][] => fake.incidents().map((i) => [i.vendor, i.key, i.status, i.events]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(incidents()).toEqual([
      ['opsgenie', alias, 'open', 1],
      ['pagerduty', pdKey, 'open', 1],
    ]);

    // the same alert resolved
    const resolved = { ...alert, endsAt: new Date(Date.now() - 1_000).toISOString() };
    expect((await stack.postAlerts([resolved])).status).toBe(200);
    await waitFor(
      'the resolution at every vendor',
      () =>
        fake.requestsTo('teams.webhook').length >= 2 &&
        fake.requestsTo('googlechat.webhook').length >= 2 &&
        fake.requestsTo('pagerduty.enqueue').length >= 2 &&
        fake.requestsTo('opsgenie.close').length >= 1,
      60_000,
    ).catch(dumpOnFailure);
    await new Promise((r) => setTimeout(r, 1000));

    expect(fake.requestsTo('teams.webhook').map(statusOf)).toEqual([202, 202]);
    expect(fake.requestsTo('googlechat.webhook').map(statusOf)).toEqual([200, 200]);
    expect(fake.requestsTo('pagerduty.enqueue').map((r) => [bodyOf(r).event_action, bodyOf(r).dedup_key, statusOf(r)])).toEqual([
      ['trigger', pdKey, 202],
      ['resolve', pdKey, 202],
    ]);
    expect(fake.requestsTo('opsgenie.create')).toHaveLength(1);
    const close = fake.requestsTo('opsgenie.close');
    expect(close.map((r) => [r.path, r.query.identifierType, statusOf(r)])).toEqual([[`/opsgenie/v2/alerts/${encodeURIComponent(alias)}/close`, 'alias', 202]]);
    expect(incidents()).toEqual([
      ['opsgenie', alias, 'closed', 1],
      ['pagerduty', pdKey, 'closed', 1],
    ]);
  }, 150_000);
});
