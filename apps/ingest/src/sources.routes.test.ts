import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { IngestedBatchSchema, type Alert, type IngestedBatch } from '@nm/contracts';
import type { Publisher } from '@nm/bus';
import { emptySnapshot, type ConfigSnapshot, type EventRule } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { createIngestApp } from './ingest.app.js';

const here = dirname(fileURLToPath(import.meta.url));
/** KubeSphere's auditing alerts (notification-manager's test data): what an audit event must look like as an alert. */
const fixture = JSON.parse(readFileSync(join(here, 'test-support', 'fixtures', 'alert-auditing.json'), 'utf8')) as {
  alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
};

function setup(snapshot: ConfigSnapshot = emptySnapshot(1)) {
  const published: Array<{ payload: IngestedBatch; msgId: string }> = [];
  const publisher: Publisher = {
    publish: (_subject, payload, o) => {
      published.push({ payload: IngestedBatchSchema.parse(payload), msgId: o.msgId });
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const app = createIngestApp({
    publisher,
    logger: createLogger('t', 'silent'),
    metrics: new Metrics('t'),
    health: createHealth(),
    snapshot: () => snapshot,
    maxBodyBytes: 1024 * 1024,
    maxMessageBytes: 1024 * 1024,
    now: () => new Date('2026-11-22T10:00:00Z'),
  });
  return { app, published, alerts: (): Alert[] => published.flatMap((p) => p.payload.alerts) };
}

/** An audit.k8s.io/v1 Event as the API server's webhook backend sends it (policy level Metadata). */
const auditEvent = (over: Record<string, unknown> = {}) => ({
  level: 'Metadata',
  auditID: 'fc3b5ab1-c7ab-4b69-a8fb-7f2c5b3a5b7e',
  stage: 'ResponseComplete',
  requestURI: '/apis/notification.kubesphere.io/v2beta2/configs/default-email-config',
  verb: 'update',
  user: { username: 'admin', uid: '2a8b', groups: ['system:authenticated'] },
  sourceIPs: ['10.0.0.12'],
  userAgent: 'kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f',
  objectRef: { resource: 'configs', name: 'default-email-config', apiGroup: 'notification.kubesphere.io', apiVersion: 'v2beta2', resourceVersion: '123' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2022-11-03T07:11:56.676195Z',
  stageTimestamp: '2022-11-03T07:11:59.012609Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  ...over,
});
const eventList = (items: unknown[]) => ({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
const postAudit = (app: ReturnType<typeof setup>['app'], body: unknown) =>
  request(app).post('/api/v2/audit').set('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));

describe('POST /api/v2/audit', () => {
  it("an update becomes KubeSphere's auditing alert (the alert-auditing.json fixture); by default reads and early stages are not notified", async () => {
    const { app, alerts, published } = setup();
    const res = await postAudit(
      app,
      eventList([
        auditEvent({ stage: 'RequestReceived', responseStatus: undefined, stageTimestamp: '2022-11-03T07:11:56.676195Z' }),
        auditEvent(),
        auditEvent({ auditID: 'get-1', verb: 'get' }),
      ]),
    );
    expect([res.status, res.body.Message]).toEqual([200, 'Notification request accepted']);
    expect(published).toHaveLength(1);
    const [a] = alerts();
    const expected = fixture.alerts[0]!;
    const { requestReceivedTimestamp: ours, ...labels } = a!.labels;
    const { requestReceivedTimestamp: theirs, ...fixtureLabels } = expected.labels;
    expect(labels).toEqual({ ...fixtureLabels, cluster: 'default' });
    // The same instant: Go's time format, in UTC here, in the cluster's zone in the fixture.
    expect(ours).toBe('2022-11-03 07:11:56.676195 +0000 UTC');
    expect(theirs).toBe('2022-11-03 15:11:56.676195 +0800 CST');
    expect(a!.annotations).toMatchObject(expected.annotations);
    expect(a!.annotations).toMatchObject({ auditID: 'fc3b5ab1-c7ab-4b69-a8fb-7f2c5b3a5b7e', responseCode: '200', sourceIPs: '10.0.0.12' });
    expect(a!.startsAt).toBe('2022-11-03T07:11:59.012609Z');
    expect(published[0]!.payload.source).toBe('api');
  });

  it("a namespaced object's alert carries its namespace (the tenant); EventRules select and label", async () => {
    const rule = (name: string, spec: EventRule['spec']): EventRule => ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'EventRule', metadata: { name }, spec });
    const { app, alerts } = setup({
      ...emptySnapshot(1),
      eventRules: [
        rule('secret-reads', { audit: { verbs: ['get', 'list'], resources: ['secrets'], users: ['system:serviceaccount:.*'] }, labels: { alertname: 'SecretRead', severity: 'warning' } }),
        rule('denied', { audit: { responseCodes: ['403'] }, labels: { alertname: 'Forbidden' } }),
        rule('kube-events', { events: {} }),
      ],
    });
    const res = await postAudit(
      app,
      eventList([
        auditEvent({ auditID: 'a', verb: 'get', user: { username: 'system:serviceaccount:team-a:bot', groups: [] }, objectRef: { resource: 'secrets', namespace: 'team-a', name: 'db' } }),
        auditEvent({ auditID: 'b', verb: 'get', user: { username: 'alice', groups: [] }, objectRef: { resource: 'secrets', namespace: 'team-a', name: 'db' } }),
        auditEvent({ auditID: 'c', verb: 'delete', objectRef: { resource: 'pods', namespace: 'team-b', name: 'web-0' }, responseStatus: { code: 403, message: 'forbidden' } }),
        auditEvent({ auditID: 'd', verb: 'delete', objectRef: { resource: 'pods', namespace: 'team-b', name: 'web-0' } }),
      ]),
    );
    expect(res.status).toBe(200);
    expect(alerts().map((a) => [a.annotations['auditID'], a.labels['alertname'], a.labels['namespace'], a.labels['severity']])).toEqual([
      ['a', 'SecretRead', 'team-a', 'warning'],
      ['c', 'Forbidden', 'team-b', undefined],
    ]);
    expect(alerts()[1]!.annotations['message']).toBe("admin delete pods 'web-0' in team-b");
  });

  it.each<[string, unknown, number, RegExp]>([
    ['not JSON', '{nope', 400, /^body is not valid JSON/],
    ['an Alertmanager payload', { alerts: [] }, 400, /^body must be an audit\.k8s\.io\/v1 EventList .*got apiVersion null kind null/],
    ['another kind', { kind: 'Policy', apiVersion: 'audit.k8s.io/v1' }, 400, /got apiVersion "audit\.k8s\.io\/v1" kind "Policy"/],
    ['items missing', { kind: 'EventList', apiVersion: 'audit.k8s.io/v1' }, 400, /^items: required$/],
    ['items not a list', { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: {} }, 400, /^items: must be an array of audit events$/],
    ['an event without verb and user', eventList([auditEvent({ verb: undefined, user: undefined })]), 400, /^0 alert\(s\) accepted, 2 rejected: items\[0\]\.verb: required; items\[0\]\.user: required$/],
    ['a bad stage and time', eventList([auditEvent({ stage: 'Done', requestReceivedTimestamp: 'today' })]), 400, /items\[0\]\.stage: must be one of RequestReceived.*items\[0\]\.requestReceivedTimestamp: must be an RFC 3339 time/],
    ['one bad among good keeps the good', eventList([auditEvent(), 'x']), 400, /^1 alert\(s\) accepted, 1 rejected: items\[1\]: must be an audit event object$/],
  ])('%s: 4xx naming the problem', async (_name, body, status, message) => {
    const { app, alerts } = setup();
    const res = await postAudit(app, body);
    expect([res.status, res.body.Status]).toEqual([status, status]);
    expect(res.body.Message).toMatch(message);
    expect(alerts().length).toBe(_name === 'one bad among good keeps the good' ? 1 : 0);
  });
});

const structured = (over: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'A234-1234-1234',
  source: 'https://github.com/cloudevents/spec/pull',
  subject: '123',
  type: 'com.github.pull_request.opened',
  time: '2018-04-05T17:31:00Z',
  namespace: 'team-a',
  severity: 'warning',
  datacontenttype: 'application/json',
  data: { message: 'Pull request 123 opened', repository: 'spec', number: 123 },
  ...over,
});

describe('POST /api/v2/cloudevents', () => {
  const expectedAlert = {
    labels: { alerttype: 'cloudevent', alertname: 'com.github.pull_request.opened', source: 'https://github.com/cloudevents/spec/pull', subject: '123', namespace: 'team-a', severity: 'warning', cluster: 'default' },
    annotations: { message: 'Pull request 123 opened', repository: 'spec', number: '123', eventId: 'A234-1234-1234', eventTime: '2018-04-05T17:31:00Z' },
    startsAt: '2018-04-05T17:31:00Z',
  };

  it('structured mode (application/cloudevents+json)', async () => {
    const { app, alerts } = setup();
    const res = await request(app).post('/api/v2/cloudevents').set('content-type', 'application/cloudevents+json; charset=utf-8').send(JSON.stringify(structured()));
    expect([res.status, res.body.Message]).toEqual([200, 'Notification request accepted']);
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]).toMatchObject(expectedAlert);
  });

  it('binary mode (ce-* headers, the body is the data)', async () => {
    const { app, alerts } = setup();
    const res = await request(app)
      .post('/api/v2/cloudevents')
      .set('content-type', 'application/json')
      .set('ce-specversion', '1.0')
      .set('ce-id', 'A234-1234-1234')
      .set('ce-source', 'https://github.com/cloudevents/spec/pull')
      .set('ce-subject', '123')
      .set('ce-type', 'com.github.pull_request.opened')
      .set('ce-time', '2018-04-05T17:31:00Z')
      .set('ce-namespace', 'team-a')
      .set('ce-severity', 'warning')
      .send(JSON.stringify({ message: 'Pull request 123 opened', repository: 'spec', number: 123 }));
    expect(res.status).toBe(200);
    expect(alerts()[0]).toMatchObject(expectedAlert);
  });

  it('binary mode with a text body: the text is the message', async () => {
    const { app, alerts } = setup();
    const res = await request(app)
      .post('/api/v2/cloudevents')
      .set('content-type', 'text/plain')
      .set('ce-specversion', '1.0')
      .set('ce-id', '1')
      .set('ce-source', '/backup')
      .set('ce-type', 'com.example.backup.failed')
      .send('backup of db failed: disk full');
    expect(res.status).toBe(200);
    expect(alerts()[0]!.annotations['message']).toBe('backup of db failed: disk full');
    expect(alerts()[0]!.labels['alertname']).toBe('com.example.backup.failed');
  });

  it('batch mode (application/cloudevents-batch+json): each event an alert, in one message', async () => {
    const { app, alerts, published } = setup();
    const res = await request(app)
      .post('/api/v2/cloudevents')
      .set('content-type', 'application/cloudevents-batch+json')
      .send(JSON.stringify([structured(), structured({ id: '2', namespace: 'team-b', data: 'plain text data', datacontenttype: 'text/plain' }), structured({ id: '3', data: undefined, data_base64: Buffer.from([0, 1, 2]).toString('base64') })]));
    expect(res.status).toBe(200);
    expect(published).toHaveLength(1);
    expect(alerts().map((a) => [a.annotations['eventId'], a.labels['namespace'], a.annotations['message'] ?? a.annotations['data_base64']])).toEqual([
      ['A234-1234-1234', 'team-a', 'Pull request 123 opened'],
      ['2', 'team-b', 'plain text data'],
      ['3', 'team-a', 'AAEC'],
    ]);
  });

  it.each<[string, Record<string, string>, string, number, RegExp]>([
    ['structured without type', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(structured({ type: undefined })), 400, /^0 alert\(s\) accepted, 1 rejected: type: required$/],
    ['structured with another specversion', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(structured({ specversion: '0.3' })), 400, /specversion: must be "1\.0", got "0\.3"/],
    ['structured, not JSON', { 'content-type': 'application/cloudevents+json' }, '{nope', 400, /^body is not valid JSON/],
    ['a bad extension name', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(structured({ Team_Name: 'x' })), 400, /Team_Name: extension attribute names are 1-20 lowercase letters or digits/],
    ['both data and data_base64', { 'content-type': 'application/cloudevents+json' }, JSON.stringify(structured({ data_base64: 'AA==' })), 400, /data: only one of data and data_base64 may be set/],
    ['binary without ce-id and ce-source', { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 't' }, '{}', 400, /ce-id: required; ce-source: required/],
    ['binary JSON data that is not JSON', { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 't', 'ce-id': '1', 'ce-source': '/s' }, '{nope', 400, /^0 alert\(s\) accepted, 1 rejected: body: Content-Type application\/json but not valid JSON/],
    ['a batch that is not an array', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(structured()), 400, /must be a JSON array of CloudEvents/],
    ['one bad event of a batch keeps the others', { 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([structured(), structured({ id: '' })]), 400, /^1 alert\(s\) accepted, 1 rejected: \[1\]\.id: must be a non-empty string$/],
    ['not CloudEvents at all', { 'content-type': 'application/json' }, JSON.stringify({ alerts: [] }), 400, /^not a CloudEvent: send application\/cloudevents\+json/],
  ])('%s: 4xx naming the problem', async (name, headers, body, status, message) => {
    const { app, alerts } = setup();
    let req = request(app).post('/api/v2/cloudevents');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    const res = await req.send(body);
    expect([res.status, res.body.Status]).toEqual([status, status]);
    expect(res.body.Message).toMatch(message);
    expect(alerts()).toHaveLength(name === 'one bad event of a batch keeps the others' ? 1 : 0);
  });

  it('a structured event sent as application/json is read as one', async () => {
    const { app, alerts } = setup();
    const res = await request(app).post('/api/v2/cloudevents').set('content-type', 'application/json').send(JSON.stringify(structured()));
    expect(res.status).toBe(200);
    expect(alerts()).toHaveLength(1);
  });
});
