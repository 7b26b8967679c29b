import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeEventAlertFields, readKubeEvent, validateManifest, type EventRule, type Receiver } from '@nm/model';
import { createTemplateRegistry, renderNotification, type TemplateAlert } from '@nm/templates';
import { captureIo } from '../test-support/capture.js';
import { migrateEventerSink, parseEventerSink, translateEventerBody } from './eventer.migrate.js';
import { runNmctl } from './nmctl.command.js';

const dir = mkdtempSync(join(tmpdir(), 'nmctl-eventer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command; the YAML documents it printed, its stderr and exit code. */
async function migrate(...args: string[]): Promise<{ code: number; docs: Array<EventRule | Receiver>; err: string }> {
  const io = captureIo();
  const code = await runNmctl(['migrate-eventer', ...args], io);
  const docs = parseAllDocuments(io.out()).map((d) => d.toJS() as EventRule | Receiver);
  return { code, docs, err: io.err() };
}

/** The sample event of kube-eventer's own webhook test (`newEvent`), with a last timestamp. */
const sampleEvent = {
  metadata: { name: 'Event1', namespace: 'kube-system', uid: 'e1' },
  involvedObject: { kind: 'Pod', namespace: 'kube-system', name: 'coredns-0' },
  reason: 'FailedStartUp',
  type: 'Warning',
  message: 'DEMO',
  lastTimestamp: '2024-05-01T10:00:00Z',
  count: 1,
};

/** What the exporter makes of an event, with an EventRule's labels: the alert a receiver renders. */
function alertOf(event: unknown, ruleLabels: Record<string, string>): TemplateAlert {
  const f = kubeEventAlertFields(readKubeEvent(event)!);
  return { id: 'a1', status: 'firing', labels: { ...f.labels, ...ruleLabels, cluster: 'default' }, annotations: f.annotations, startsAt: f.startsAt, endsAt: '0001-01-01T00:00:00Z' };
}

/** The webhook body a receiver renders for a notification of these alerts (as sender-webhook does). */
function webhookBody(receiver: Receiver, alerts: TemplateAlert[]): string {
  const { registry } = createTemplateRegistry({});
  return renderNotification(registry, {
    channel: 'webhook',
    templates: { receiver: { template: receiver.spec.webhook!.template } },
    alerts,
    groupLabels: { alertname: alerts[0]!.labels['alertname']! },
    receiver: { name: receiver.metadata.name, tenant: 'notification-manager/type/global' },
  }).body;
}

describe('nmctl migrate-eventer: the sink strings of kube-eventer\'s documentation', () => {
  it('the README example (DingTalk robot URL, level, namespaces, kinds, headers)', async () => {
    // kube-eventer's flag as written in its Deployment, after -- (it starts with dashes)
    const r = await migrate(
      '--',
      '--sink=webhook:https://oapi.dingtalk.com/robot/send?access_token=a5c19f3e02feba7bd5dfc22bfb04afa212359acfe86fd80eb159187097b7d014&level=Normal&namespaces=a,b&kinds=c,d&header=contentType=customContentType&header=customHeaderKey=customHeaderValue',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const [rule, receiver] = r.docs as [EventRule, Receiver];
    expect(rule.kind).toBe('EventRule');
    expect(rule.spec).toEqual({ events: { level: 'Normal', namespaces: ['a', 'b'], kinds: ['c', 'd'] }, labels: { eventer_kube_eventer: 'true' } });
    expect(receiver.metadata).toMatchObject({ name: 'kube-eventer', labels: { type: 'global' } });
    // kube-eventer's default method is GET with a body; a webhook here sends a body with POST
    expect(receiver.metadata.annotations?.['notification.kubesphere.io/migrated-method']).toMatch(/GET/);
    expect(receiver.spec.webhook).toMatchObject({
      url: 'https://oapi.dingtalk.com/robot/send?access_token=a5c19f3e02feba7bd5dfc22bfb04afa212359acfe86fd80eb159187097b7d014',
      method: 'POST',
      headers: { contentType: 'customContentType', customHeaderKey: 'customHeaderValue' },
      alertSelector: { matchLabels: { eventer_kube_eventer: 'true' } },
    });
    for (const d of r.docs) expect(validateManifest(d).problems).toEqual([]);
  });

  it('the option list example (method POST, a header); kube-eventer\'s "webhook:<url>&level=" form', () => {
    const a = parseEventerSink('webhook:http://alerts.example.com/hook?level=Warning&namespaces=ns1,ns2&kinds=Node,Pod&method=POST&header=customHeaderKey=customHeaderValue');
    expect(a).toEqual({ url: 'http://alerts.example.com/hook', level: 'Warning', namespaces: ['ns1', 'ns2'], kinds: ['Node', 'Pod'], reasons: [], method: 'POST', headers: { customHeaderKey: 'customHeaderValue' } });
    const b = parseEventerSink('webhook:http://alerts.example.com/hook&level=Warning');
    expect([b.url, b.level]).toEqual(['http://alerts.example.com/hook', 'Warning']);
  });

  it('reasons (several reason options, comma lists) and no level (the documented default, Warning)', () => {
    const sink = parseEventerSink('webhook:http://h/x?reason=BackOff,Unhealthy&reason=^Failed&kinds=Pod&method=post');
    const m = migrateEventerSink(sink, { name: 'pods' });
    expect(m.eventRule.spec.events).toEqual({ level: 'Warning', kinds: ['Pod'], reasons: ['BackOff', 'Unhealthy', '^Failed'] });
    expect(m.receiver.spec.webhook?.method).toBe('POST');
    expect(m.problems).toEqual([]);
  });

  it('a custom_body_configmap deployment (the kube-eventer chart) with its ConfigMap', async () => {
    const cm = join(dir, 'body.yaml');
    writeFileSync(
      cm,
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: kubeeventer-webhook, namespace: kube-system}',
        'data:',
        '  content: |-',
        '    {"msgtype": "text", "text": {"content": "{{ .Type }} {{ .InvolvedObject.Kind }}/{{ .InvolvedObject.Name }} in {{ .InvolvedObject.Namespace }}: {{ .Reason }}, {{ .Message }} ({{ .Count }}x, last {{ .LastTimestamp }})"},',
        '     "host": {{ printf "%q" .Source.Host }}}',
      ].join('\n'),
    );
    const r = await migrate(
      '--name',
      'ops',
      '--configmap',
      cm,
      'webhook:http://127.0.0.1:7777?level=Warning&kinds=Pod&method=POST&header=Content-Type=application/json&custom_body_configmap=kubeeventer-webhook&custom_body_configmap_namespace=kube-system',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const receiver = r.docs[1] as Receiver;
    expect(receiver.spec.webhook).toMatchObject({ url: 'http://127.0.0.1:7777/', method: 'POST', headers: { 'Content-Type': 'application/json' } });
    const body = webhookBody(receiver, [alertOf({ ...sampleEvent, source: { component: 'kubelet', host: 'node-1' }, message: 'Back-off "web"' }, { eventer_ops: 'true' })]);
    expect(JSON.parse(body)).toEqual({
      msgtype: 'text',
      text: { content: 'Warning Pod/coredns-0 in kube-system: FailedStartUp, Back-off "web" (1x, last 2024-05-01 10:00:00 +0000 UTC)' },
      host: 'node-1',
    });
  });

  it('problems name what could not be converted; exit 1', async () => {
    const missing = await migrate('webhook:http://h/x?custom_body_configmap=body');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('custom_body_configmap names ConfigMap default/body: pass it with --configmap FILE');
    expect((await migrate('dingtalk:https://oapi.dingtalk.com/robot/send?access_token=x')).err).toContain('not a kube-eventer webhook sink');
    expect((await migrate('webhook:http://h/x?level=Error')).err).toContain('level must be Warning or Normal');
    expect((await migrate('--name', 'Bad_Name', 'webhook:http://h/x')).code).toBe(2);
    expect(translateEventerBody('{\n"a": "{{ if .Count }}many{{ end }}",\n"b": "{{ .InvolvedObject.UID }}"}').problems).toEqual([
      'line 2: {{ if .Count }} cannot be translated (only {{ .Field }} and {{ printf "%q" .Field }} are); rewrite it in mustache (docs/templates.md)',
      'line 2: {{ end }} cannot be translated (only {{ .Field }} and {{ printf "%q" .Field }} are); rewrite it in mustache (docs/templates.md)',
      expect.stringMatching(/^line 3: \{\{ \.InvolvedObject\.UID \}\}: the exporter does not carry \.InvolvedObject\.UID/) as unknown as string,
    ]);
  });
});

describe("the webhook body of a migrated receiver equals kube-eventer's default body", () => {
  const receiver = migrateEventerSink(parseEventerSink('webhook:http://h/x?method=POST'), { name: 'kube-eventer' }).receiver;
  const marker = { eventer_kube_eventer: 'true' };

  it('for a sample event (kube-eventer renders its template over the Event: Go time format, no escaping needed)', () => {
    // kube-eventer's defaultBodyTemplate rendered by Go's text/template over this Event:
    const kubeEventer =
      '\n{\n\t"EventType": "Warning",\n\t"EventKind": "Pod",\n\t"EventReason": "FailedStartUp",\n\t"EventTime": "2024-05-01 10:00:00 +0000 UTC",\n\t"EventMessage": "DEMO"\n}';
    expect(webhookBody(receiver, [alertOf(sampleEvent, marker)])).toBe(kubeEventer);
  });

  it('a message with quotes stays valid JSON (kube-eventer removed the quotes, this escapes them)', () => {
    const body = webhookBody(receiver, [alertOf({ ...sampleEvent, message: 'pod "demo-1rare3" OOMKilled\nagain' }, marker)]);
    expect(JSON.parse(body)).toMatchObject({ EventMessage: 'pod "demo-1rare3" OOMKilled\nagain' });
  });

  it('several events in one notification: a JSON array of kube-eventer bodies', () => {
    const body = webhookBody(receiver, [alertOf(sampleEvent, marker), alertOf({ ...sampleEvent, reason: 'BackOff', message: 'second' }, marker)]);
    expect(JSON.parse(body)).toEqual([
      { EventType: 'Warning', EventKind: 'Pod', EventReason: 'FailedStartUp', EventTime: '2024-05-01 10:00:00 +0000 UTC', EventMessage: 'DEMO' },
      { EventType: 'Warning', EventKind: 'Pod', EventReason: 'BackOff', EventTime: '2024-05-01 10:00:00 +0000 UTC', EventMessage: 'second' },
    ]);
  });
});
