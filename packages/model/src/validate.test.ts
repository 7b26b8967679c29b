import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Problem } from './problem.js';
import { validateManifest, validateReferences, type CrdObject } from './validate.js';

const API = 'notification.kubesphere.io/v2beta2';
const here = dirname(fileURLToPath(import.meta.url));
const SAMPLES = join(here, 'test-support', 'fixtures', 'kubesphere-samples');

const brief = (ps: Problem[]) => ps.map((p) => `${p.severity} ${p.field}: ${p.message}`);
const receiverWith = (spec: unknown, labels: Record<string, string> = { type: 'global' }) => ({ apiVersion: API, kind: 'Receiver', metadata: { name: 'r', labels }, spec });
const configWith = (spec: unknown) => ({ apiVersion: API, kind: 'Config', metadata: { name: 'c', labels: { type: 'default' } }, spec });
const silenceWith = (spec: unknown) => ({ apiVersion: API, kind: 'Silence', metadata: { name: 's' }, spec });
const routerWith = (spec: unknown) => ({ apiVersion: API, kind: 'Router', metadata: { name: 'rt' }, spec });

describe('kubesphere samples', () => {
  const docs = readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(SAMPLES, f), 'utf8'))
        .map((d, i) => [`${f}#${i}`, d.toJS()] as [string, unknown])
        .filter(([, d]) => d !== null),
    );

  it('found the sample documents', () => {
    expect(docs.length).toBeGreaterThanOrEqual(7);
  });

  it.each(docs)('%s', (_name, doc) => {
    const r = validateManifest(doc);
    const apiVersion = (doc as { apiVersion: string }).apiVersion;
    if (apiVersion === 'notification.kubesphere.io/v2beta1') {
      expect(r.object).toBeUndefined();
      expect(r.problems).toEqual([
        expect.objectContaining({ severity: 'error', field: 'apiVersion', message: expect.stringContaining('notification.kubesphere.io/v2beta1 is not supported') }),
      ]);
    } else {
      expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(r.object).toBeDefined();
    }
  });
});

describe('validateManifest', () => {
  it.each<[string, unknown, string[]]>([
    ['not an object', 'hello', ['error : a manifest must be an object']],
    ['unknown apiVersion', { apiVersion: 'foo/v1', kind: 'Bar', metadata: { name: 'x' } }, ['error apiVersion: unknown apiVersion foo/v1 (kind Bar)']],
    ['unknown kind', { apiVersion: API, kind: 'Bar', metadata: { name: 'x' } }, [`error kind: unknown kind Bar for apiVersion ${API}; expected one of NotificationManager, Config, Receiver, Router, Silence, InhibitRule, EventRule`]],
    ['missing apiVersion', { kind: 'Receiver' }, ['error apiVersion: apiVersion is missing']],
    ['missing name', { apiVersion: API, kind: 'Silence', metadata: {}, spec: { matcher: {} } }, ['error metadata.name: required field is missing']],
    ['email to empty', receiverWith({ email: { to: [] } }), ['error spec.email.to: at least one address is required']],
    ['email to missing', receiverWith({ email: {} }), ['error spec.email.to: required field is missing']],
    ['email to wrong type', receiverWith({ email: { to: 'a@b' } }), ['error spec.email.to: Invalid input: expected array, received string']],
    ['email tmplType', receiverWith({ email: { to: ['a@b'], tmplType: 'markdown' } }), ['error spec.email.tmplType: "markdown" is not one of html, text']],
    ['webhook url and service', receiverWith({ webhook: { url: 'http://x', service: { namespace: 'n', name: 's' } } }), ['error spec.webhook: exactly one of url and service must be set']],
    ['webhook neither', receiverWith({ webhook: {} }), ['error spec.webhook: exactly one of url and service must be set']],
    ['webhook bad url', receiverWith({ webhook: { url: 'not a url' } }), ['error spec.webhook.url: not a valid URL: "not a url"']],
    ['webhook method and headers ok', receiverWith({ webhook: { url: 'http://x', method: 'PUT', headers: { 'X-A': 'b' } } }), []],
    ['credential with both', receiverWith({ discord: { webhook: { value: 'x', valueFrom: { secretKeyRef: { name: 'n', key: 'k' } } } } }), ['error spec.discord.webhook: exactly one of value and valueFrom must be set']],
    ['credential with neither', receiverWith({ discord: { webhook: {} } }), ['error spec.discord.webhook: exactly one of value and valueFrom must be set']],
    ['credential valueFrom without secretKeyRef', receiverWith({ discord: { webhook: { valueFrom: {} } } }), ['error spec.discord.webhook.valueFrom.secretKeyRef: valueFrom needs secretKeyRef']],
    ['secretKeyRef without key', receiverWith({ discord: { webhook: { valueFrom: { secretKeyRef: { name: 'n' } } } } }), ['error spec.discord.webhook.valueFrom.secretKeyRef.key: required field is missing']],
    ['discord type', receiverWith({ discord: { webhook: { value: 'x' }, type: 'card' } }), ['error spec.discord.type: "card" is not one of content, embed']],
    ['slack channels', receiverWith({ slack: { channels: [] } }), ['error spec.slack.channels: at least one channel is required (or set spec.slack.webhook)']],
    ['slack incoming webhook instead of channels', receiverWith({ slack: { webhook: { value: 'https://hooks.slack.com/services/T/B/x' } } }), []],
    ['wechat needs a target', receiverWith({ wechat: { tmplType: 'text' } }), ['error spec.wechat: one of toUser, toParty, toTag or chatbot is required']],
    ['wechat tmplType', receiverWith({ wechat: { toUser: ['u'], tmplType: 'html' } }), ['error spec.wechat.tmplType: "html" is not one of text, markdown']],
    ['dingtalk conversation without chatids', receiverWith({ dingtalk: { conversation: {} } }), ['error spec.dingtalk.conversation.chatids: at least one chat id is required when conversation is set']],
    ['feishu needs a target', receiverWith({ feishu: {} }), ['error spec.feishu: one of user, department or chatbot is required']],
    ['telegram channels', receiverWith({ telegram: { channels: [] } }), ['error spec.telegram.channels: at least one channel is required']],
    ['teams webhook ok', receiverWith({ teams: { webhook: { valueFrom: { secretKeyRef: { name: 'teams', key: 'url' } } } } }), []],
    ['teams webhook not a URL', receiverWith({ teams: { webhook: { value: 'teams.example/x' } } }), ['error spec.teams.webhook.value: not a valid http(s) URL']],
    ['teams webhook missing', receiverWith({ teams: {} }), ['error spec.teams.webhook: required field is missing']],
    ['googlechat webhook not http', receiverWith({ googlechat: { webhook: { value: 'ftp://chat.example/x' } } }), ['error spec.googlechat.webhook.value: not a valid http(s) URL']],
    ['pagerduty routingKey missing', receiverWith({ pagerduty: { severity: 'error' } }), ['error spec.pagerduty.routingKey: required field is missing']],
    [
      'pagerduty severity and clientURL',
      receiverWith({ pagerduty: { routingKey: { value: 'k' }, severity: 'high', clientURL: 'nope' } }),
      ['error spec.pagerduty.severity: "high" is not one of critical, error, warning, info', 'error spec.pagerduty.clientURL: not a valid http(s) URL'],
    ],
    [
      'opsgenie priority and responders',
      receiverWith({ opsgenie: { priority: 'P0', responders: [{ type: 'group', name: 'ops' }, { type: 'team' }, { type: 'team', username: 'a@b' }], tags: ['ok', ' '] } }),
      [
        'error spec.opsgenie.priority: "P0" is not one of P1, P2, P3, P4, P5',
        'error spec.opsgenie.responders[0].type: "group" is not one of team, user, escalation, schedule',
        'error spec.opsgenie.responders[1]: one of id, name or username is required',
        'error spec.opsgenie.responders[2].username: only a responder of type user has a username',
        'error spec.opsgenie.tags[1]: must not be empty',
      ],
    ],
    ['opsgenie config apiKey', configWith({ opsgenie: { apiKey: { valueFrom: { secretKeyRef: { name: 'og', key: 'key' } } } } }), []],
    ['sms phone numbers', receiverWith({ sms: { phoneNumbers: ['+8613', '12-34'] } }), ['warning spec.sms.phoneNumbers[1]: not digits with an optional leading +; it will be skipped']],
    [
      'pushover profile checks',
      receiverWith({ pushover: { profiles: [{ userKey: 'short', devices: ['ok', 'bad device'], sound: 'boom' }] } }),
      [
        'error spec.pushover.profiles[0].userKey: must be 30 letters or digits',
        'error spec.pushover.profiles[0].devices[1]: must be 1-25 letters, digits, _ or -',
        `error spec.pushover.profiles[0].sound: "boom" is not one of ${['pushover', 'bike', 'bugle', 'cashregister', 'classical', 'cosmic', 'falling', 'gamelan', 'incoming', 'intermission', 'magic', 'mechanical', 'pianobar', 'siren', 'spacealarm', 'tugboat', 'alien', 'climb', 'persistent', 'echo', 'updown', 'vibrate', 'none'].join(', ')}`,
      ],
    ],
    [
      'bad Match regex in alertSelector',
      receiverWith({ webhook: { url: 'http://x', alertSelector: { matchExpressions: [{ key: 'a', operator: 'Match', regexValue: '(' }] } } }),
      ['error spec.webhook.alertSelector.matchExpressions[0].regexValue: invalid regex "(": error parsing regexp: missing closing ): `(`'],
    ],
    [
      'lookahead in a silence matcher (RE2 rejects it)',
      silenceWith({ matcher: { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '^(?!kube-).*' }] } }),
      ['error spec.matcher.matchExpressions[0].regexValue: invalid regex "^(?!kube-).*": error parsing regexp: invalid or unsupported Perl syntax: `(?!` (RE2 has no lookahead)'],
    ],
    [
      'Go syntax in a silence matcher is valid',
      silenceWith({ matcher: { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '(?i)\\A(?P<app>[[:alpha:]]+)-\\pL+\\z' }] } }),
      [],
    ],
    [
      'bad operator',
      receiverWith({ webhook: { url: 'http://x', alertSelector: { matchExpressions: [{ key: 'a', operator: 'Like' }] } } }),
      ['error spec.webhook.alertSelector.matchExpressions[0].operator: Invalid option: expected one of "In"|"NotIn"|"Exists"|"DoesNotExist"|"Match"'],
    ],
    ['selector not a selector', receiverWith({ webhook: { url: 'http://x', alertSelector: 'severity=critical' } }), ['error spec.webhook.alertSelector: Invalid input: expected object, received string']],
    ['unknown fields are warnings', receiverWith({ webhook: { url: 'http://x', colour: 'red' }, pager: {} }), ['warning spec.webhook.colour: unknown field colour is ignored', 'warning spec.pager: unknown field pager is ignored']],
    ['language extension is known', receiverWith({ webhook: { url: 'http://x', language: 'zh-cn' } }), []],
    ['empty receiver', receiverWith({}), ['warning spec: the Receiver defines no channel section']],
    ['null members count as absent', receiverWith({ webhook: { url: 'http://x', httpConfig: null }, email: null }), []],
    ['sms defaultProvider not configured', configWith({ sms: { defaultProvider: 'aws', providers: { aliyun: { signName: 'x' } } } }), ['error spec.sms.defaultProvider: provider aws is not configured in spec.sms.providers']],
    ['sms defaultProvider unknown', configWith({ sms: { defaultProvider: 'twilio', providers: { aliyun: {} } } }), ['error spec.sms.defaultProvider: "twilio" is not one of aliyun, tencent, huawei, aws']],
    ['email config from', configWith({ email: { from: 'nobody', smartHost: { host: 'h', port: 25 } } }), ['error spec.email.from: must be one email address']],
    ['email config port type', configWith({ email: { from: 'a@b', smartHost: { host: 'h', port: '25' } } }), ['error spec.email.smartHost.port: Invalid input: expected number, received string']],
    ['wechat config required fields', configWith({ wechat: { wechatApiCorpId: 'c' } }), ['error spec.wechat.wechatApiAgentId: required field is missing', 'error spec.wechat.wechatApiSecret: required field is missing']],
    ['config priority label', { ...configWith({ slack: {} }), metadata: { name: 'c', labels: { priority: 'top' } } }, ['warning metadata.labels.priority: not an integer; counts as 2147483646']],
    ['silence bad cron', silenceWith({ matcher: {}, schedule: '* * *', duration: '1h' }), ['error spec.schedule: invalid schedule "* * *": expected 5 fields, found 3']],
    ['silence bad date', silenceWith({ matcher: {}, startsAt: '2024-02-30T00:00:00Z' }), ['error spec.startsAt: not an RFC 3339 time: "2024-02-30T00:00:00Z"']],
    ['silence bad duration', silenceWith({ matcher: {}, duration: '1 day' }), ['error spec.duration: invalid duration "1 day": expected <number><unit> terms with units ns, us, ms, s, m, h']],
    ['silence duration wrong type', silenceWith({ matcher: {}, duration: true }), ['error spec.duration: invalid value true: expected a Go duration string (e.g. "1m30s") or integer nanoseconds']],
    ['silence matcher required', silenceWith({}), ['error spec.matcher: required field is missing']],
    ['silence ok', silenceWith({ matcher: { matchLabels: { a: 'b' } }, schedule: '@daily', duration: 28_800_000_000_000 }), []],
    ['router bad regexName', routerWith({ alertSelector: {}, receivers: { regexName: '[' } }), ['error spec.receivers.regexName: invalid regex "[": error parsing regexp: missing closing ]: `[`']],
    ['router regexName with a backreference', routerWith({ alertSelector: {}, receivers: { regexName: '(a)\\1' } }), ['error spec.receivers.regexName: invalid regex "(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1` (RE2 has no backreferences)']],
    [
      'router alertSelector with lookbehind',
      routerWith({ alertSelector: { matchExpressions: [{ key: 'a', operator: 'Match', regexValue: '(?<=x)y' }] }, receivers: { name: ['x'] } }),
      ['error spec.alertSelector.matchExpressions[0].regexValue: invalid regex "(?<=x)y": error parsing regexp: invalid named capture: `(?<=x)y` (RE2 has no lookbehind)'],
    ],
    ['router unknown type', routerWith({ alertSelector: {}, receivers: { name: ['x'], type: 'pager' } }), ['error spec.receivers.type: unknown channel type "pager"']],
    ['router targets nothing', routerWith({ alertSelector: {}, receivers: {} }), ['warning spec.receivers: names no receiver: set name, regexName, selector or channels']],
    ['router alertSelector required', routerWith({ receivers: { name: ['x'] } }), ['error spec.alertSelector: required field is missing']],
    [
      'inhibit rule',
      { apiVersion: API, kind: 'InhibitRule', metadata: { name: 'i', labels: { type: 'global' } }, spec: { sourceSelector: { matchLabels: { severity: 'critical' } }, targetSelector: {}, equal: ['namespace', ''] } },
      ['error spec.equal[1]: label name must not be empty'],
    ],
    [
      'notification manager structural error',
      { apiVersion: API, kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: { tenantKey: 'namespace' }, timeZone: 'Mars/Base', aggregation: { mode: 'sometimes', groupWait: 'soon' }, batchMaxWait: '6s' } },
      // A structural error stops the semantic checks (time zone, durations) until it is fixed.
      ['error spec.aggregation.mode: Invalid option: expected one of "batch"|"stateful"|"auto"'],
    ],
    [
      'notification manager semantic errors',
      { apiVersion: API, kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: { tenantKey: 'namespace', options: { email: { tmplType: 'md' } } }, timeZone: 'Mars/Base', aggregation: { groupWait: 'soon' }, routePolicy: 'All' } },
      ['error spec.aggregation.groupWait: invalid duration "soon": expected <number><unit> terms with units ns, us, ms, s, m, h', 'error spec.timeZone: unknown IANA time zone "Mars/Base"', 'error spec.receivers.options.email.tmplType: "md" is not one of html, text'],
    ],
    ['notification manager tenantKey required', { apiVersion: API, kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: {} } }, ['error spec.receivers.tenantKey: required field is missing']],
    ['secret bad base64', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eHh4eA==', b: 'not base64!' } }, ['error data.b: value is not valid base64']],
    ['rolebinding without namespace', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }] }, ['warning metadata.namespace: a RoleBinding without namespace grants no namespace to its users here']],
    ['metadata extras and status are not warned about', { ...receiverWith({ webhook: { url: 'http://x' } }), metadata: { name: 'r', uid: 'u', creationTimestamp: 'x' }, status: {} }, []],
  ])('%s', (_n, manifest, expected) => {
    const r = validateManifest(manifest);
    expect(brief(r.problems)).toEqual(expected);
    expect(r.object === undefined).toBe(expected.some((e) => e.startsWith('error')));
  });

  it('names kind and name from the manifest, ? when absent', () => {
    expect(validateManifest({ apiVersion: 'x/v1' }).problems[0]).toMatchObject({ kind: '?', name: '?' });
    expect(validateManifest(receiverWith({ email: { to: [] } })).problems[0]).toMatchObject({ kind: 'Receiver', name: 'r' });
  });

  it('returns the object, with unknown fields kept', () => {
    const r = validateManifest(receiverWith({ webhook: { url: 'http://x', colour: 'red' } }));
    expect((r.object as unknown as { spec: { webhook: { colour: string } } }).spec.webhook.colour).toBe('red');
  });
});

describe('NotificationManager deployment fields', () => {
  const nm = (spec: Record<string, unknown>) => ({ apiVersion: API, kind: 'NotificationManager', metadata: { name: 'nm' }, spec: { receivers: { tenantKey: 'user' }, ...spec } });

  it('are reported in one warning naming the chart values that replace them', () => {
    const r = validateManifest(nm({ image: 'kubesphere/notification-manager:v2.6.0', replicas: 2, resources: { limits: { cpu: '1' } }, env: [{ name: 'TZ', value: 'UTC' }], volumes: [], sidecars: { tenant: { type: 'kubesphere' } } }));
    expect(r.object).toBeDefined();
    expect(brief(r.problems)).toEqual([
      "warning spec: deployment fields image, replicas, resources, env, volumes are for notification-manager's operator and are not applied: " +
        "set these in the chart's values (image.repository, image.tag; <service>.replicas; <service>.resources; extraEnv; extraVolumes)",
      "warning spec.sidecars.tenant: tenant lookups (tenantKey other than namespace) go to http://localhost:19094/api/v2/tenant (the container's port named tenant if it declares one); " +
        "its container is not deployed here: run it in the router's pod, or set the chart's tenantSidecarUrl (NM_TENANT_SIDECAR_URL) to where it runs",
    ]);
    expect(brief(validateManifest(nm({ sidecars: { logger: { type: 'x' } } })).problems)).toEqual(['warning spec.sidecars.logger: only the tenant sidecar is used; this entry is ignored']);
  });

  it('are not mentioned when absent', () => {
    expect(validateManifest(nm({ groupLabels: ['alertname'], defaultSecretNamespace: 'ops' })).problems).toEqual([]);
  });
});

describe('validateReferences', () => {
  const receiver = validateManifest(
    receiverWith({
      webhook: {
        url: 'http://x',
        httpConfig: { bearerToken: { valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } } },
        tmplText: { name: 'tmpl', namespace: 'ops', key: 'main' },
      },
      discord: { webhook: { valueFrom: { secretKeyRef: { namespace: 'ops', name: 'missing', key: 'url' } } } },
      slack: { channels: ['#a'], tmplText: { name: 'other' } },
    }),
  ).object as CrdObject;

  it('warns about missing Secrets, missing keys and missing ConfigMaps', () => {
    const problems = validateReferences([receiver], {
      secrets: { 'ops/tok': { other: 'x' } },
      configMaps: { 'ops/tmpl': { main: '{{ x }}' } },
      defaultNamespace: 'ops',
    });
    expect(brief(problems)).toEqual([
      'warning spec.slack.tmplText: ConfigMap ops/other not found',
      'warning spec.webhook.httpConfig.bearerToken.valueFrom.secretKeyRef: Secret ops/tok has no key token',
      'warning spec.discord.webhook.valueFrom.secretKeyRef: Secret ops/missing not found',
    ]);
  });

  it('is satisfied when everything exists; without a default namespace any namespace will do', () => {
    const problems = validateReferences([receiver], {
      secrets: { 'kube/tok': { token: 't' }, 'ops/missing': { url: 'u' } },
      configMaps: { 'ops/tmpl': { main: '' }, 'x/other': {} },
    });
    expect(problems).toEqual([]);
  });
});
