import { describe, expect, it } from '@jest/globals';
import type { EventRule } from './crd/event-rule.schema.js';
import {
  auditRules,
  kubeEventRules,
  matchesAuditFilter,
  matchesKubeEventFilter,
  matchesResponseCode,
  meetsLevel,
  ruleLabelsOf,
  type AuditFacts,
  type KubeEventFacts,
} from './event.rule.js';
import type { Problem } from './problem.js';
import { validateManifest } from './validate.js';

const API = 'notification.kubesphere.io/v2beta2';
const rule = (name: string, spec: EventRule['spec']): EventRule => ({ apiVersion: API, kind: 'EventRule', metadata: { name }, spec });
const warning: KubeEventFacts = { type: 'Warning', reason: 'BackOff', namespace: 'team-a', kind: 'Pod' };
const brief = (ps: Problem[]) => ps.map((p) => `${p.severity} ${p.field}: ${p.message}`);

describe('EventRule validation', () => {
  it.each<[string, unknown, string[]]>([
    ['events', { events: { level: 'Normal', namespaces: ['team-.*', 'kube-system'], kinds: ['Pod'], reasons: ['BackOff', 'Failed.*'] } }, []],
    ['audit', { audit: { verbs: ['delete'], resources: ['secrets', 'pods/exec'], users: ['admin'], responseCodes: ['403', '5xx'], stages: ['ResponseComplete'] } }, []],
    ['neither section', {}, ['error spec: exactly one of events and audit must be set']],
    ['both sections', { events: {}, audit: {} }, ['error spec: exactly one of events and audit must be set']],
    ['unknown level', { events: { level: 'Error' } }, ['error spec.events.level: "Error" is not one of Warning, Normal']],
    ['invalid namespace regex', { events: { namespaces: ['team-(a'] } }, [expect.stringMatching(/^error spec\.events\.namespaces\[0\]: invalid regex "team-\(a"/) as unknown as string]],
    ['lookahead reason', { events: { reasons: ['(?!x)'] } }, [expect.stringMatching(/^error spec\.events\.reasons\[0\]: invalid regex .*lookahead/) as unknown as string]],
    ['empty kind', { events: { kinds: [''] } }, ['error spec.events.kinds[0]: must not be empty']],
    ['bad response code', { audit: { responseCodes: ['4xxx', '200'] } }, ['error spec.audit.responseCodes[0]: "4xxx" is not an HTTP status code or a class such as 5xx']],
    ['bad stage', { audit: { stages: ['Done'] } }, ['error spec.audit.stages[0]: "Done" is not one of RequestReceived, ResponseStarted, ResponseComplete, Panic']],
    ['namespace label', { events: {}, labels: { namespace: 'x', team: 'ops' } }, ['warning spec.labels.namespace: ignored: the namespace label decides the tenant and always comes from the event']],
    ['unknown field', { events: { levl: 'Warning' } }, ['warning spec.events.levl: unknown field levl is ignored']],
    ['involved object selector checked like every selector', { events: { involvedObjectSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } } }, ['error spec.events.involvedObjectSelector.matchExpressions[0].values: operator In needs at least one value']],
  ])('%s', (_name, spec, expected) => {
    const r = validateManifest({ apiVersion: API, kind: 'EventRule', metadata: { name: 'r' }, spec });
    expect(brief(r.problems)).toEqual(expected);
    expect(r.object !== undefined).toBe(!expected.some((e) => typeof e !== 'string' || e.startsWith('error')));
  });
});

describe('Kubernetes event filters', () => {
  it('level: Warning reports Warning only, Normal reports both (kube-eventer)', () => {
    expect([meetsLevel(undefined, 'Warning'), meetsLevel(undefined, 'Normal'), meetsLevel('Warning', 'Normal'), meetsLevel('Normal', 'Normal'), meetsLevel('Normal', 'Warning')]).toEqual([
      true,
      false,
      false,
      true,
      true,
    ]);
  });

  it.each<[string, Parameters<typeof matchesKubeEventFilter>[0], KubeEventFacts, boolean]>([
    ['empty filter: Warning', {}, warning, true],
    ['empty filter: not Normal', {}, { ...warning, type: 'Normal' }, false],
    ['namespace by name is exact', { namespaces: ['team-a'] }, { ...warning, namespace: 'team-ab' }, false],
    ['namespace regex matches the whole name', { namespaces: ['team-.*'] }, warning, true],
    ['namespace regex is anchored', { namespaces: ['eam'] }, warning, false],
    ['cluster-scoped object and a namespace filter', { namespaces: ['.*'] }, { ...warning, namespace: '' }, true],
    ['cluster-scoped object and a named namespace', { namespaces: ['team-a'] }, { ...warning, namespace: '' }, false],
    ['kinds exact', { kinds: ['Node', 'Pod'] }, warning, true],
    ['kinds are case-sensitive', { kinds: ['pod'] }, warning, false],
    ['reason regex anywhere (kube-eventer)', { reasons: ['Off'] }, { ...warning, reason: 'ImagePullBackOff' }, true],
    ['any of several reasons', { reasons: ['^Failed', 'Unhealthy'] }, { ...warning, reason: 'Unhealthy' }, true],
    ['no reason matches', { reasons: ['^Failed'] }, warning, false],
  ])('%s', (_name, filter, facts, expected) => {
    expect(matchesKubeEventFilter(filter, facts)).toBe(expected);
  });

  it('involvedObjectSelector needs the labels: unknown labels never match', () => {
    const filter = { involvedObjectSelector: { matchLabels: { app: 'web' } } };
    expect(matchesKubeEventFilter(filter, warning)).toBe(false);
    expect(matchesKubeEventFilter(filter, warning, { app: 'web' })).toBe(true);
    expect(matchesKubeEventFilter(filter, warning, { app: 'db' })).toBe(false);
  });

  it('without EventRules the default applies; with some, an event needs a matching enabled one and gets its labels', () => {
    expect(kubeEventRules({ eventRules: [] }).isDefault).toBe(true);
    expect(kubeEventRules({}).isDefault).toBe(true);
    const audit = rule('a', { audit: {} });
    expect(kubeEventRules({ eventRules: [audit] }).isDefault).toBe(true);
    const set = kubeEventRules({
      eventRules: [
        rule('b-nodes', { events: { kinds: ['Node'] }, labels: { team: 'infra' } }),
        rule('a-pods', { events: { kinds: ['Pod'] }, labels: { team: 'apps', alertname: 'PodEvent', namespace: 'elsewhere' } }),
        rule('c-off', { enabled: false, events: {} }),
        audit,
      ],
    });
    expect(set.isDefault).toBe(false);
    expect(set.rules.map((r) => r.name)).toEqual(['a-pods', 'b-nodes']);
    expect(ruleLabelsOf(set, (f) => matchesKubeEventFilter(f, warning))).toEqual({ rules: ['a-pods'], labels: { team: 'apps', alertname: 'PodEvent' } });
    expect(ruleLabelsOf(set, (f) => matchesKubeEventFilter(f, { ...warning, kind: 'Service' }))).toBeUndefined();
    const off = kubeEventRules({ eventRules: [rule('c-off', { enabled: false, events: {} })] });
    expect([off.isDefault, off.rules]).toEqual([false, []]);
  });
});

describe('audit filters', () => {
  const update: AuditFacts = { verb: 'update', resource: 'configs', subresource: '', user: 'admin', groups: ['system:authenticated'], namespace: '', code: 200, stage: 'ResponseComplete' };

  it('default: writes, once per request', () => {
    const set = auditRules({});
    const m = (f: AuditFacts): boolean => ruleLabelsOf(set, (filter) => matchesAuditFilter(filter, f)) !== undefined;
    expect([m(update), m({ ...update, verb: 'get' }), m({ ...update, stage: 'RequestReceived' }), m({ ...update, stage: 'Panic' })]).toEqual([true, false, false, true]);
  });

  it.each<[string, Parameters<typeof matchesAuditFilter>[0], AuditFacts, boolean]>([
    ['verbs', { verbs: ['delete'] }, update, false],
    ['resource', { resources: ['configs'] }, update, true],
    ['resource does not cover a subresource', { resources: ['pods'] }, { ...update, resource: 'pods', subresource: 'exec' }, false],
    ['resource/subresource', { resources: ['pods/exec'] }, { ...update, resource: 'pods', subresource: 'exec' }, true],
    ['resource/*', { resources: ['pods/*'] }, { ...update, resource: 'pods', subresource: 'log' }, true],
    ['any resource', { resources: ['*'] }, update, true],
    ['user regex, whole name', { users: ['adm'] }, update, false],
    ['user regex', { users: ['system:serviceaccount:.*', 'admin'] }, update, true],
    ['one group is enough', { groups: ['system:masters', 'system:auth.*'] }, update, true],
    ['namespace of a cluster-scoped object', { namespaces: ['team-a'] }, update, false],
    ['response code class', { responseCodes: ['2xx'] }, update, true],
    ['response code', { responseCodes: ['403'] }, { ...update, code: 403 }, true],
    ['no response code yet', { responseCodes: ['2xx'] }, { ...update, code: undefined }, false],
    ['stages given', { stages: ['RequestReceived'] }, { ...update, stage: 'RequestReceived' }, true],
  ])('%s', (_name, filter, facts, expected) => {
    expect(matchesAuditFilter(filter, facts)).toBe(expected);
  });

  it('response code patterns', () => {
    expect([matchesResponseCode('40x', 404), matchesResponseCode('40x', 410), matchesResponseCode('5xx', 503), matchesResponseCode('abc', 500)]).toEqual([true, false, true, false]);
  });
});
