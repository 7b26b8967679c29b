import { describe, expect, it } from '@jest/globals';
import { validateManifest } from '@nm/model';
import { join } from 'node:path';
import { CrdValidator, isNmObject, loadDocuments, REPO, yamlFiles } from './support.js';

/**
 * The CRDs accept every manifest notification-manager's documentation and samples show as valid
 * (the docs' examples as kept in packages/manifests/test/fixtures, the KubeSphere samples, this
 * repository's examples), keep every field of them (nothing pruned), and refuse what its API
 * server and admission webhook refuse, as the model does.
 */
const validator = new CrdValidator();

const SOURCES = [
  join(REPO, 'packages/manifests/test/fixtures/nm-docs'),
  join(REPO, 'packages/manifests/test/fixtures/kubesphere-samples'),
  join(REPO, '../shared/fixtures/kubesphere-samples'),
  join(REPO, 'examples'),
  ...(process.env['NM_CRD_EXTRA_MANIFESTS'] ?? '').split(':').filter(Boolean),
];

/** Fields of the samples that notification-manager's CRDs do not declare either (its API server drops them too). */
const PRUNED_UPSTREAM = ['/spec/sms/providers/huawei/templateParas'];

const documents = loadDocuments(yamlFiles(...SOURCES)).filter(({ doc }) => isNmObject(doc));
const v2beta2 = documents.filter(({ doc }) => doc['apiVersion'] === 'notification.kubesphere.io/v2beta2');

describe('manifests of the documentation, the samples and examples/', () => {
  it("are found (notification-manager's five kinds)", () => {
    const kinds = new Set(v2beta2.map(({ doc }) => doc['kind']));
    expect([...kinds].sort()).toEqual(['Config', 'NotificationManager', 'Receiver', 'Router', 'Silence']);
    expect(v2beta2.length).toBeGreaterThan(50);
  });

  it('are accepted by the CRDs (schema and CEL rules)', () => {
    const refused = v2beta2
      .map(({ file, doc }) => ({ file: file.slice(REPO.length), name: `${String(doc['kind'])}/${String((doc['metadata'] as { name?: string }).name)}`, errors: validator.errors(doc) }))
      .filter((r) => r.errors.length > 0);
    expect(refused).toEqual([]);
  });

  it('keep every field notification-manager\'s own CRDs keep (the API server prunes nothing more)', () => {
    const pruned = v2beta2
      .map(({ file, doc }) => ({ file: file.slice(REPO.length), fields: validator.unknownFields(doc).filter((f) => !PRUNED_UPSTREAM.includes(f)) }))
      .filter((r) => r.fields.length > 0);
    expect(pruned).toEqual([]);
  });

  it('are accepted by the model too (one source of truth)', () => {
    const refused = v2beta2.map(({ doc }) => validateManifest(doc).problems.filter((p) => p.severity === 'error')).flat();
    expect(refused).toEqual([]);
  });

  it('in notification.kubesphere.io/v2beta1 are refused: the version is not served (notification-manager removed it in v2.5.0)', () => {
    const old = documents.filter(({ doc }) => doc['apiVersion'] === 'notification.kubesphere.io/v2beta1');
    expect(old.length).toBeGreaterThan(0);
    for (const { doc } of old) expect(validator.errors(doc)).toEqual([expect.stringContaining('could not find the requested resource')]);
  });
});

const meta = { name: 'x', labels: { type: 'global' } };
const receiver = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: meta, spec });
const config = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Config', metadata: meta, spec });
const obj = (kind: string, spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind, metadata: meta, spec });
const cred = { valueFrom: { secretKeyRef: { name: 's', key: 'k' } } };
const sel = { matchLabels: { a: 'b' } };

/** [what, manifest, words of the API server's refusal]: each is refused by the CRDs and by the model. */
const REFUSED: Array<[string, Record<string, unknown>, string]> = [
  ['credential with value and valueFrom', receiver({ discord: { webhook: { value: 'u', ...cred } } }), 'exactly one of value and valueFrom'],
  ['credential with neither', receiver({ discord: { webhook: {} } }), 'exactly one of value and valueFrom'],
  ['valueFrom without secretKeyRef', receiver({ discord: { webhook: { valueFrom: {} } } }), 'valueFrom needs secretKeyRef'],
  ['secretKeyRef without key', receiver({ discord: { webhook: { valueFrom: { secretKeyRef: { name: 's' } } } } }), "must have required property 'key'"],
  ['email receiver without to', receiver({ email: {} }), "must have required property 'to'"],
  ['email receiver with empty to', receiver({ email: { to: [] } }), 'at least one address is required'],
  ['email tmplType', receiver({ email: { to: ['a@b.c'], tmplType: 'markdown' } }), 'must be equal to one of the allowed values'],
  ['dingtalk conversation without chatids', receiver({ dingtalk: { conversation: {} } }), 'at least one chat id'],
  ['dingtalk tmplType', receiver({ dingtalk: { chatbot: { webhook: cred }, tmplType: 'html' } }), 'allowed values'],
  ['slack without channels or webhook', receiver({ slack: { channels: [] } }), 'at least one channel is required'],
  ['webhook with url and service', receiver({ webhook: { url: 'http://a', service: { name: 'a', namespace: 'b' } } }), 'exactly one of url and service'],
  ['webhook with neither', receiver({ webhook: {} }), 'exactly one of url and service'],
  ['webhook method', receiver({ webhook: { url: 'http://a', method: 'PO ST' } }), 'must match pattern'],
  ['wechat without destination', receiver({ wechat: { toUser: [] } }), 'one of toUser, toParty, toTag or chatbot'],
  ['wechat tmplType', receiver({ wechat: { toUser: ['u'], tmplType: 'post' } }), 'allowed values'],
  ['discord without webhook', receiver({ discord: {} }), "must have required property 'webhook'"],
  ['discord type', receiver({ discord: { webhook: cred, type: 'card' } }), 'allowed values'],
  ['pushover without profiles', receiver({ pushover: { profiles: [] } }), 'at least one profile'],
  ['pushover userKey', receiver({ pushover: { profiles: [{ userKey: 'short' }] } }), 'must match pattern'],
  ['pushover device', receiver({ pushover: { profiles: [{ userKey: 'a'.repeat(30), devices: ['bad device'] }] } }), 'must match pattern'],
  ['pushover sound', receiver({ pushover: { profiles: [{ userKey: 'a'.repeat(30), sound: 'ding' }] } }), 'allowed values'],
  ['sms receiver without numbers', receiver({ sms: { phoneNumbers: [] } }), 'at least one phone number'],
  ['feishu without destination', receiver({ feishu: {} }), 'one of user, department or chatbot'],
  ['feishu over 200 users', receiver({ feishu: { user: Array.from({ length: 201 }, (_, i) => `u${i}`) } }), 'must NOT have more than 200 items'],
  ['feishu tmplType', receiver({ feishu: { user: ['u'], tmplType: 'markdown' } }), 'allowed values'],
  ['telegram without channels', receiver({ telegram: { channels: [] } }), 'at least one channel'],
  ['selector operator', receiver({ email: { to: ['a@b.c'], alertSelector: { matchExpressions: [{ key: 'a', operator: 'Like' }] } } }), 'allowed values'],
  ['selector empty key', receiver({ email: { to: ['a@b.c'], alertSelector: { matchExpressions: [{ key: '', operator: 'Exists' }] } } }), 'must NOT have fewer than 1 characters'],
  ['a section of the wrong type', receiver({ slack: { channels: 'alerts' } }), 'must be array'],
  ['email config without from', config({ email: { smartHost: { host: 'h', port: 25 } } }), "must have required property 'from'"],
  ['email config from', config({ email: { from: 'nobody', smartHost: { host: 'h', port: 25 } } }), 'must be one email address'],
  ['email config port', config({ email: { from: 'a@b.c', smartHost: { host: 'h', port: 70000 } } }), 'must be <= 65535'],
  ['email config port as string', config({ email: { from: 'a@b.c', smartHost: { host: 'h', port: '25' } } }), 'must be integer'],
  ['wechat config without secret', config({ wechat: { wechatApiCorpId: 'c', wechatApiAgentId: 'a' } }), "must have required property 'wechatApiSecret'"],
  ['sms config without providers', config({ sms: { defaultProvider: 'aliyun', providers: {} } }), 'no provider configured'],
  ['sms default provider not configured', config({ sms: { defaultProvider: 'aws', providers: { aliyun: { signName: 's' } } } }), 'configured in providers'],
  ['sms unknown default provider', config({ sms: { defaultProvider: 'twilio', providers: { aliyun: { signName: 's' } } } }), 'must be one of aliyun'],
  ['notification manager without receivers', obj('NotificationManager', {}), "must have required property 'receivers'"],
  ['empty tenantKey', obj('NotificationManager', { receivers: { tenantKey: '' } }), 'must NOT have fewer than 1 characters'],
  ['routePolicy', obj('NotificationManager', { receivers: { tenantKey: 'user' }, routePolicy: 'Any' }), 'allowed values'],
  ['batchMaxSize', obj('NotificationManager', { receivers: { tenantKey: 'user' }, batchMaxSize: 0 }), 'must be >= 1'],
  ['option tmplType', obj('NotificationManager', { receivers: { tenantKey: 'user', options: { email: { tmplType: 'md' } } } }), 'allowed values'],
  ['history webhook with neither url nor service', obj('NotificationManager', { receivers: { tenantKey: 'user' }, history: { webhook: {} } }), 'exactly one of url and service'],
  ['aggregation mode', obj('NotificationManager', { receivers: { tenantKey: 'user' }, aggregation: { mode: 'fast' } }), 'allowed values'],
  ['duration as a fraction of nanoseconds', obj('NotificationManager', { receivers: { tenantKey: 'user' }, batchMaxWait: 1.5 }), '/spec/batchMaxWait'],
  ['router without alertSelector', obj('Router', { receivers: { name: ['a'] } }), "must have required property 'alertSelector'"],
  ['router type', obj('Router', { alertSelector: sel, receivers: { type: 'pager' } }), 'unknown channel type'],
  ['silence without matcher', obj('Silence', {}), "must have required property 'matcher'"],
  ['silence startsAt', obj('Silence', { matcher: sel, startsAt: 'yesterday' }), 'must match format "date-time"'],
  ['inhibit rule without targetSelector', obj('InhibitRule', { sourceSelector: sel }), "must have required property 'targetSelector'"],
  ['inhibit rule empty equal label', obj('InhibitRule', { sourceSelector: sel, targetSelector: sel, equal: [''] }), 'must NOT have fewer than 1 characters'],
  ['event rule with neither events nor audit', obj('EventRule', { labels: { team: 'ops' } }), 'exactly one of events and audit'],
  ['event rule with both', obj('EventRule', { events: {}, audit: {} }), 'exactly one of events and audit'],
  ['event rule level', obj('EventRule', { events: { level: 'Error' } }), 'allowed values'],
  ['event rule empty kind', obj('EventRule', { events: { kinds: [''] } }), 'must NOT have fewer than 1 characters'],
  ['audit rule response code', obj('EventRule', { audit: { responseCodes: ['4xxx'] } }), 'must match pattern'],
  ['audit rule stage', obj('EventRule', { audit: { stages: ['Done'] } }), 'allowed values'],
  ['no spec', { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: meta }, "must have required property 'spec'"],
];

describe('manifests notification-manager refuses', () => {
  it.each(REFUSED)('%s: refused by the CRD', (_what, manifest, words) => {
    expect(validator.errors(manifest).join('\n')).toContain(words);
  });

  it.each(REFUSED)('%s: refused by the model (nmctl validate, config-sync)', (_what, manifest) => {
    expect(validateManifest(manifest).problems.filter((p) => p.severity === 'error')).not.toEqual([]);
  });
});

const ACCEPTED: Array<[string, Record<string, unknown>]> = [
  ['slack with an incoming webhook only (extension)', receiver({ slack: { webhook: cred } })],
  ['webhook by service', receiver({ webhook: { service: { name: 'a', namespace: 'b', port: 8080 } } })],
  ['router type in other case', obj('Router', { alertSelector: sel, receivers: { type: 'WeChat' } })],
  ['durations as strings and nanoseconds', obj('NotificationManager', { receivers: { tenantKey: 'namespace' }, batchMaxWait: '30s', aggregation: { mode: 'stateful', groupWait: 30000000000 } })],
  ['sms without defaultProvider', config({ sms: { providers: { tencent: { sign: 's' } } } })],
  ['silence on a schedule', obj('Silence', { matcher: sel, schedule: '0 22 * * *', duration: '8h' })],
  ['inhibit rule', obj('InhibitRule', { sourceSelector: sel, targetSelector: { matchExpressions: [{ key: 'severity', operator: 'In', values: ['warning'] }] }, equal: ['namespace'] })],
  ['event rule (kube-eventer filters)', obj('EventRule', { events: { level: 'Normal', namespaces: ['team-.*'], kinds: ['Pod', 'Node'], reasons: ['BackOff', 'Failed.*'], involvedObjectSelector: { matchLabels: { app: 'web' } } }, labels: { team: 'ops' } })],
  ['audit rule', obj('EventRule', { enabled: false, audit: { verbs: ['delete'], resources: ['secrets', 'pods/exec'], users: ['admin'], groups: ['system:masters'], namespaces: ['kube-system'], responseCodes: ['403', '5xx'], stages: ['ResponseComplete'] } })],
  ['a status written by config-sync', { ...receiver({ email: { to: ['a@b.c'] } }), status: { conditions: [{ type: 'Valid', status: 'False', reason: 'Invalid', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }] } }],
];

describe('manifests that are valid here', () => {
  it.each(ACCEPTED)('%s: accepted by the CRD and by the model', (_what, manifest) => {
    expect(validator.errors(manifest)).toEqual([]);
    expect(validator.unknownFields(manifest)).toEqual([]);
    expect(validateManifest(manifest).problems.filter((p) => p.severity === 'error')).toEqual([]);
  });
});
