import { CHANNELS, isChannel } from '@nm/contracts';
import type { z } from 'zod';
import {
  ConfigmapKeySelectorSchema,
  CredentialSchema,
  DurationSchema,
  LabelSelectorSchema,
  NM_API_VERSION,
  type ConfigmapKeySelector,
  type Credential,
  type LabelSelector,
} from './crd/common.schema.js';
import { ConfigSchema, SMS_PROVIDERS, type Config } from './crd/config.schema.js';
import {
  ConfigMapSchema,
  isBase64,
  RBAC_API_VERSION,
  RoleBindingSchema,
  SecretSchema,
  type ConfigMap,
  type RoleBinding,
  type Secret,
} from './crd/core.schema.js';
import { AUDIT_STAGES, EVENT_LEVELS, EventRuleSchema, type EventRule } from './crd/event-rule.schema.js';
import { InhibitRuleSchema, type InhibitRule } from './crd/inhibit-rule.schema.js';
import { NotificationManagerSchema, type NotificationManager } from './crd/notification-manager.schema.js';
import {
  OPSGENIE_PRIORITIES,
  OPSGENIE_RESPONDER_TYPES,
  PAGERDUTY_SEVERITIES,
  PUSHOVER_SOUNDS,
  ReceiverSchema,
  type Receiver,
} from './crd/receiver.schema.js';
import { RouterSchema, type Router } from './crd/router.schema.js';
import { SilenceSchema, type Silence } from './crd/silence.schema.js';
import { parseDuration } from './duration.js';
import { templateFilesOf } from './template.files.js';
import { InvalidRegexError } from './errors.js';
import type { Problem } from './problem.js';
import { tryCompileRegex } from './regex.js';
import { receiverSections } from './sections.js';
import { selectorProblems } from './selector.js';
import { parseRfc3339 } from './silence.js';
import { isValidTimeZone, parseSchedule } from './silence.schedule.js';
import { isPlainObject, joinPath, stripNulls, valueAt, walkSchema } from './schema.walk.js';
import { DEFAULT_PRIORITY } from './config.resolve.js';
import { anchoredRegex, PROTECTED_EVENT_LABELS } from './event.rule.js';

export type CrdObject = NotificationManager | Config | Receiver | Router | Silence | InhibitRule | EventRule | Secret | ConfigMap | RoleBinding;
export type CrdKind = CrdObject['kind'];

/** apiVersion → kind → schema: everything this model accepts. */
export const SCHEMAS: Readonly<Record<string, Readonly<Record<string, z.ZodType>>>> = {
  [NM_API_VERSION]: {
    NotificationManager: NotificationManagerSchema,
    Config: ConfigSchema,
    Receiver: ReceiverSchema,
    Router: RouterSchema,
    Silence: SilenceSchema,
    InhibitRule: InhibitRuleSchema,
    EventRule: EventRuleSchema,
  },
  v1: { Secret: SecretSchema, ConfigMap: ConfigMapSchema },
  [RBAC_API_VERSION]: { RoleBinding: RoleBindingSchema },
};

const OLD_NM_VERSIONS: Readonly<Record<string, string>> = {
  'notification.kubesphere.io/v2beta1': 'removed in notification-manager v2.5.0',
  'notification.kubesphere.io/v2alpha1': 'replaced by v2beta1 in notification-manager v1.0.0',
  'notification.kubesphere.io/v1alpha1': 'replaced in notification-manager v0.8.0',
};

class Collector {
  readonly problems: Problem[] = [];
  constructor(
    readonly kind: string,
    readonly name: string,
  ) {}
  error(field: string, message: string): void {
    this.problems.push({ severity: 'error', kind: this.kind, name: this.name, field, message });
  }
  warn(field: string, message: string): void {
    this.problems.push({ severity: 'warning', kind: this.kind, name: this.name, field, message });
  }
  add(ps: ReadonlyArray<Omit<Problem, 'kind' | 'name'>>): void {
    for (const p of ps) this.problems.push({ ...p, kind: this.kind, name: this.name });
  }
}

function identity(obj: unknown): { kind: string; name: string } {
  const o = isPlainObject(obj) ? obj : {};
  const meta = isPlainObject(o['metadata']) ? o['metadata'] : {};
  return {
    kind: typeof o['kind'] === 'string' && o['kind'] !== '' ? o['kind'] : '?',
    name: typeof meta['name'] === 'string' && meta['name'] !== '' ? meta['name'] : '?',
  };
}

/** The schema for an apiVersion/kind pair, or the reason there is none. */
export function schemaFor(apiVersion: unknown, kind: unknown): { schema: z.ZodType } | { field: string; message: string } {
  if (typeof apiVersion !== 'string' || apiVersion === '') return { field: 'apiVersion', message: 'apiVersion is missing' };
  if (typeof kind !== 'string' || kind === '') return { field: 'kind', message: 'kind is missing' };
  const old = OLD_NM_VERSIONS[apiVersion];
  if (old) {
    return {
      field: 'apiVersion',
      message: `apiVersion ${apiVersion} is not supported (${old}); convert this ${kind} to ${NM_API_VERSION}`,
    };
  }
  const kinds = SCHEMAS[apiVersion];
  if (!kinds) return { field: 'apiVersion', message: `unknown apiVersion ${apiVersion} (kind ${kind})` };
  const schema = kinds[kind];
  if (!schema) {
    return { field: 'kind', message: `unknown kind ${kind} for apiVersion ${apiVersion}; expected one of ${Object.keys(kinds).join(', ')}` };
  }
  return { schema };
}

function zodProblems(c: Collector, root: unknown, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    const path = issue.path.reduce<string>((p, k) => joinPath(p, typeof k === 'number' ? k : String(k)), '');
    const value = valueAt(root, issue.path);
    if (issue.code === 'invalid_type' && value === undefined) c.error(path, 'required field is missing');
    else if (issue.code === 'invalid_union') c.error(path, `invalid value ${JSON.stringify(value)}: expected a Go duration string (e.g. "1m30s") or integer nanoseconds`);
    else c.error(path, issue.message);
  }
}

/**
 * Validates one manifest: structure and types (zod), then the impossible values and the
 * admission rules of notification-manager (reference §1.9), then unknown fields (warnings).
 * An object with any error is returned without `object`. `null` members count as absent.
 */
export function validateManifest(obj: unknown): { object?: CrdObject; problems: Problem[] } {
  const { kind, name } = identity(obj);
  const c = new Collector(kind, name);
  if (!isPlainObject(obj)) {
    c.error('', 'a manifest must be an object');
    return { problems: c.problems };
  }
  const found = schemaFor(obj['apiVersion'], obj['kind']);
  if (!('schema' in found)) {
    c.error(found.field, found.message);
    return { problems: c.problems };
  }
  const input = stripNulls(obj);
  const parsed = found.schema.safeParse(input);
  if (!parsed.success) zodProblems(c, input, parsed.error.issues);
  walkSchema(found.schema, input, '', {
    unknownField: (path) => c.warn(path, `unknown field ${path.split('.').pop()} is ignored`),
    node: parsed.success ? (schema, value, path) => checkNode(c, schema, value, path) : undefined,
  });
  if (parsed.success) {
    const object = parsed.data as CrdObject;
    checkKind(c, object);
    if (!c.problems.some((p) => p.severity === 'error')) return { object, problems: c.problems };
  }
  return { problems: c.problems };
}

/** Checks bound to shared types wherever they appear: Credentials, selectors, durations. */
function checkNode(c: Collector, schema: z.ZodType, value: unknown, path: string): void {
  if (schema === CredentialSchema) checkCredential(c, value as Credential, path);
  else if (schema === LabelSelectorSchema) c.add(selectorProblems(value as LabelSelector, path));
  else if (schema === DurationSchema) {
    try {
      parseDuration(value as string | number);
    } catch (e) {
      c.error(path, (e as Error).message);
    }
  }
}

function checkCredential(c: Collector, cred: Credential, path: string): void {
  const hasValue = cred.value !== undefined;
  const hasFrom = cred.valueFrom !== undefined;
  if (hasValue === hasFrom) c.error(path, 'exactly one of value and valueFrom must be set');
  else if (hasFrom && !cred.valueFrom?.secretKeyRef) c.error(`${path}.valueFrom.secretKeyRef`, 'valueFrom needs secretKeyRef');
}

function oneOf(c: Collector, field: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) c.error(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
}

const nonEmpty = (a: readonly unknown[] | undefined): boolean => (a?.length ?? 0) > 0;

function checkKind(c: Collector, o: CrdObject): void {
  switch (o.kind) {
    case 'NotificationManager':
      return checkNotificationManager(c, o);
    case 'Config':
      return checkConfig(c, o);
    case 'Receiver':
      return checkReceiver(c, o);
    case 'Router':
      return checkRouter(c, o);
    case 'Silence':
      return checkSilence(c, o);
    case 'InhibitRule':
      (o.spec.equal ?? []).forEach((l, i) => {
        if (l === '') c.error(`spec.equal[${i}]`, 'label name must not be empty');
      });
      return;
    case 'EventRule':
      return checkEventRule(c, o);
    case 'Secret':
      for (const [k, v] of Object.entries(o.data ?? {})) if (!isBase64(v)) c.error(`data.${k}`, 'value is not valid base64');
      return;
    case 'RoleBinding':
      if (!o.metadata.namespace) c.warn('metadata.namespace', 'a RoleBinding without namespace grants no namespace to its users here');
      return;
    case 'ConfigMap':
      return;
  }
}

/**
 * Fields of a NotificationManager that notification-manager's operator turned into its Deployment.
 * Here every service is deployed by the Helm chart, so they are not applied; the chart's values
 * that take their place are named in the warning.
 */
export const OPERATOR_FIELDS: Readonly<Record<string, string>> = {
  image: 'image.repository, image.tag',
  imagePullPolicy: 'image.pullPolicy',
  replicas: '<service>.replicas',
  resources: '<service>.resources',
  nodeSelector: 'nodeSelector',
  affinity: 'affinity',
  tolerations: 'tolerations',
  serviceAccountName: 'serviceAccount.name',
  portName: 'ingest.service',
  env: 'extraEnv',
  volumes: 'extraVolumes',
  volumeMounts: 'extraVolumeMounts',
  args: '<service>.env',
  annotations: 'podAnnotations',
  labels: 'podLabels',
};

/** Where the router asks a tenant sidecar declared in `spec.sidecars.tenant` (notification-manager's fixed address). */
export const DECLARED_TENANT_SIDECAR = 'http://localhost:19094/api/v2/tenant';

function checkNotificationManager(c: Collector, nm: NotificationManager): void {
  const s = nm.spec;
  const deployment = Object.keys(OPERATOR_FIELDS).filter((f) => (s as Record<string, unknown>)[f] !== undefined);
  if (deployment.length > 0) {
    c.warn(
      'spec',
      `deployment fields ${deployment.join(', ')} are for notification-manager's operator and are not applied: ` +
        `set these in the chart's values (${deployment.map((f) => OPERATOR_FIELDS[f]).join('; ')})`,
    );
  }
  for (const f of templateFilesOf(s)) {
    if (f.problem) c.warn(`spec.receivers.options.global.templateFile[${f.index}]`, `not loaded: ${f.problem}`);
  }
  for (const key of Object.keys(s.sidecars ?? {})) {
    if (key !== 'tenant') c.warn(`spec.sidecars.${key}`, 'only the tenant sidecar is used; this entry is ignored');
    else if (s.sidecars?.['tenant'] != null) {
      c.warn(
        'spec.sidecars.tenant',
        `tenant lookups (tenantKey other than namespace) go to ${DECLARED_TENANT_SIDECAR} (the container's port named tenant if it declares one); ` +
          "its container is not deployed here: run it in the router's pod, or set the chart's tenantSidecarUrl (NM_TENANT_SIDECAR_URL) to where it runs",
      );
    }
  }
  for (const sel of ['globalReceiverSelector', 'tenantReceiverSelector'] as const) {
    if (nonEmpty(s.receivers[sel]?.matchExpressions)) c.warn(`spec.receivers.${sel}.matchExpressions`, 'only matchLabels of this selector is used');
  }
  if (s.timeZone !== undefined && !isValidTimeZone(s.timeZone)) c.error('spec.timeZone', `unknown IANA time zone ${JSON.stringify(s.timeZone)}`);
  const o = s.receivers.options;
  oneOf(c, 'spec.receivers.options.email.tmplType', o?.email?.tmplType, ['html', 'text']);
  const delivery = o?.email?.deliveryType;
  if (delivery !== undefined && !['single', 'bulk'].includes(delivery.toLowerCase())) {
    c.warn('spec.receivers.options.email.deliveryType', `${JSON.stringify(delivery)} is neither single nor bulk; each recipient gets a message of its own (single)`);
  }
  oneOf(c, 'spec.receivers.options.wechat.tmplType', o?.wechat?.tmplType, ['text', 'markdown']);
  oneOf(c, 'spec.receivers.options.dingtalk.tmplType', o?.dingtalk?.tmplType, ['text', 'markdown']);
  oneOf(c, 'spec.receivers.options.feishu.tmplType', o?.feishu?.tmplType, ['post', 'text']);
  if (s.history?.webhook) checkWebhook(c, s.history.webhook, 'spec.history.webhook');
}

function checkConfig(c: Collector, config: Config): void {
  const raw = config.metadata.labels?.['priority'];
  if (raw !== undefined && !/^[+-]?\d+$/.test(raw)) c.warn('metadata.labels.priority', `not an integer; counts as ${DEFAULT_PRIORITY}`);
  const s = config.spec;
  if (!CHANNELS.some((ch) => (s as Record<string, unknown>)[ch] !== undefined)) c.warn('spec', 'the Config defines no channel section');
  if (s.email) {
    if (!s.email.from.includes('@')) c.error('spec.email.from', 'must be one email address');
    const port = s.email.smartHost.port;
    if (port < 1 || port > 65535) c.error('spec.email.smartHost.port', 'must be between 1 and 65535');
  }
  if (s.sms) {
    const providers = Object.keys(s.sms.providers).filter((p) => (SMS_PROVIDERS as readonly string[]).includes(p));
    const d = s.sms.defaultProvider;
    if (d === undefined || d === '') c.warn('spec.sms.defaultProvider', 'not set; the first configured provider is used');
    else if (!(SMS_PROVIDERS as readonly string[]).includes(d)) c.error('spec.sms.defaultProvider', `${JSON.stringify(d)} is not one of ${SMS_PROVIDERS.join(', ')}`);
    else if (!providers.includes(d)) c.error('spec.sms.defaultProvider', `provider ${d} is not configured in spec.sms.providers`);
    if (providers.length === 0) c.error('spec.sms.providers', 'no provider configured');
  }
}

function checkWebhook(c: Collector, w: { url?: string | undefined; service?: unknown; method?: string | undefined }, path: string): void {
  if ((w.url !== undefined && w.url !== '') === (w.service !== undefined)) c.error(path, 'exactly one of url and service must be set');
  if (w.url) {
    try {
      new URL(w.url);
    } catch {
      c.error(`${path}.url`, `not a valid URL: ${JSON.stringify(w.url)}`);
    }
  }
  if (w.method !== undefined && !/^[A-Za-z]+$/.test(w.method)) c.error(`${path}.method`, `not an HTTP method: ${JSON.stringify(w.method)}`);
}

function checkReceiver(c: Collector, r: Receiver): void {
  const s = r.spec;
  if (receiverSections(r).length === 0) c.warn('spec', 'the Receiver defines no channel section');
  if (s.email) {
    if (!nonEmpty(s.email.to)) c.error('spec.email.to', 'at least one address is required');
    oneOf(c, 'spec.email.tmplType', s.email.tmplType, ['html', 'text']);
  }
  if (s.dingtalk) {
    const d = s.dingtalk;
    if (d.conversation && !nonEmpty(d.conversation.chatids)) c.error('spec.dingtalk.conversation.chatids', 'at least one chat id is required when conversation is set');
    if (!d.conversation && !d.chatbot) c.warn('spec.dingtalk', 'neither chatbot nor conversation is set: nothing will be sent');
    oneOf(c, 'spec.dingtalk.tmplType', d.tmplType, ['text', 'markdown']);
  }
  if (s.slack && !nonEmpty(s.slack.channels) && !s.slack.webhook)
    c.error('spec.slack.channels', 'at least one channel is required (or set spec.slack.webhook)');
  if (s.webhook) checkWebhook(c, s.webhook, 'spec.webhook');
  if (s.wechat) {
    const w = s.wechat;
    if (!nonEmpty(w.toUser) && !nonEmpty(w.toParty) && !nonEmpty(w.toTag) && !w.chatbot) c.error('spec.wechat', 'one of toUser, toParty, toTag or chatbot is required');
    oneOf(c, 'spec.wechat.tmplType', w.tmplType, ['text', 'markdown']);
  }
  if (s.discord) oneOf(c, 'spec.discord.type', s.discord.type, ['content', 'embed']);
  if (s.pushover) {
    if (!nonEmpty(s.pushover.profiles)) c.error('spec.pushover.profiles', 'at least one profile is required');
    s.pushover.profiles.forEach((p, i) => {
      const path = `spec.pushover.profiles[${i}]`;
      if (!/^[A-Za-z0-9]{30}$/.test(p.userKey)) c.error(`${path}.userKey`, 'must be 30 letters or digits');
      (p.devices ?? []).forEach((d, j) => {
        if (!/^[A-Za-z0-9_-]{1,25}$/.test(d)) c.error(`${path}.devices[${j}]`, 'must be 1-25 letters, digits, _ or -');
      });
      oneOf(c, `${path}.sound`, p.sound, PUSHOVER_SOUNDS);
      if (p.priority !== undefined && (p.priority < -2 || p.priority > 2)) c.error(`${path}.priority`, 'must be -2, -1, 0, 1 or 2');
    });
  }
  if (s.sms) {
    if (!nonEmpty(s.sms.phoneNumbers)) c.error('spec.sms.phoneNumbers', 'at least one phone number is required');
    s.sms.phoneNumbers.forEach((n, i) => {
      if (!/^(\+)?(\d+)$/.test(n)) c.warn(`spec.sms.phoneNumbers[${i}]`, 'not digits with an optional leading +; it will be skipped');
    });
  }
  if (s.feishu) {
    const f = s.feishu;
    if (!nonEmpty(f.user) && !nonEmpty(f.department) && !f.chatbot) c.error('spec.feishu', 'one of user, department or chatbot is required');
    if ((f.user?.length ?? 0) > 200) c.error('spec.feishu.user', 'at most 200 users');
    if ((f.department?.length ?? 0) > 200) c.error('spec.feishu.department', 'at most 200 departments');
    oneOf(c, 'spec.feishu.tmplType', f.tmplType, ['post', 'text']);
  }
  if (s.telegram && !nonEmpty(s.telegram.channels)) c.error('spec.telegram.channels', 'at least one channel is required');
  if (s.teams) checkCredentialUrl(c, s.teams.webhook, 'spec.teams.webhook');
  if (s.googlechat) checkCredentialUrl(c, s.googlechat.webhook, 'spec.googlechat.webhook');
  if (s.pagerduty) {
    const p = s.pagerduty;
    oneOf(c, 'spec.pagerduty.severity', p.severity, PAGERDUTY_SEVERITIES);
    if (p.clientURL !== undefined) checkUrl(c, p.clientURL, 'spec.pagerduty.clientURL');
  }
  if (s.opsgenie) {
    const o = s.opsgenie;
    oneOf(c, 'spec.opsgenie.priority', o.priority, OPSGENIE_PRIORITIES);
    (o.responders ?? []).forEach((r, i) => {
      const path = `spec.opsgenie.responders[${i}]`;
      oneOf(c, `${path}.type`, r.type, OPSGENIE_RESPONDER_TYPES);
      if (!r.id && !r.name && !r.username) c.error(path, 'one of id, name or username is required');
      if (r.username && r.type !== 'user') c.error(`${path}.username`, 'only a responder of type user has a username');
    });
    (o.tags ?? []).forEach((t, i) => {
      if (t.trim() === '') c.error(`spec.opsgenie.tags[${i}]`, 'must not be empty');
    });
  }
}

function checkUrl(c: Collector, raw: string, path: string): void {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) c.error(path, 'not a valid http(s) URL');
}

/** A webhook URL held in a Credential: an inline one must be an http(s) URL (a Secret's is checked when sent). */
function checkCredentialUrl(c: Collector, cred: { value?: string | undefined }, path: string): void {
  if (cred.value !== undefined && cred.value.trim() !== '') checkUrl(c, cred.value, `${path}.value`);
}

function checkRouter(c: Collector, r: Router): void {
  const rc = r.spec.receivers;
  if (rc.regexName !== undefined && rc.regexName !== '') {
    const re = tryCompileRegex(rc.regexName);
    if (re instanceof InvalidRegexError) c.error('spec.receivers.regexName', re.message);
  }
  if (rc.type !== undefined && !isChannel(rc.type.toLowerCase())) c.error('spec.receivers.type', `unknown channel type ${JSON.stringify(rc.type)}`);
  (rc.channels ?? []).forEach((ch, i) => {
    (ch.type ?? []).forEach((t, j) => {
      if (!isChannel(t.toLowerCase())) c.error(`spec.receivers.channels[${i}].type[${j}]`, `unknown channel type ${JSON.stringify(t)}`);
    });
  });
  if (!nonEmpty(rc.name) && !rc.regexName && !rc.selector && !nonEmpty(rc.channels)) {
    c.warn('spec.receivers', 'names no receiver: set name, regexName, selector or channels');
  }
}

function checkSilence(c: Collector, s: Silence): void {
  if (s.spec.schedule !== undefined && s.spec.schedule !== '') {
    try {
      parseSchedule(s.spec.schedule);
    } catch (e) {
      c.error('spec.schedule', (e as Error).message);
    }
    if (s.spec.startsAt !== undefined) c.warn('spec.startsAt', 'ignored because schedule is set');
  }
  if (s.spec.startsAt !== undefined && s.spec.startsAt !== '' && !parseRfc3339(s.spec.startsAt)) {
    c.error('spec.startsAt', `not an RFC 3339 time: ${JSON.stringify(s.spec.startsAt)}`);
  }
}

function checkEventRule(c: Collector, r: EventRule): void {
  const { events, audit, labels } = r.spec;
  if ((events === undefined) === (audit === undefined)) c.error('spec', 'exactly one of events and audit must be set');
  const regexes = (list: readonly string[] | undefined, path: string, anchored: boolean): void => {
    (list ?? []).forEach((p, i) => {
      if (p === '') return c.error(`${path}[${i}]`, 'must not be empty');
      const re = anchored ? anchoredRegex(p) : tryCompileRegex(p);
      if (re instanceof InvalidRegexError) c.error(`${path}[${i}]`, re.message);
    });
  };
  const names = (list: readonly string[] | undefined, path: string): void => {
    (list ?? []).forEach((v, i) => {
      if (v === '') c.error(`${path}[${i}]`, 'must not be empty');
    });
  };
  if (events) {
    oneOf(c, 'spec.events.level', events.level, EVENT_LEVELS);
    regexes(events.namespaces, 'spec.events.namespaces', true);
    regexes(events.reasons, 'spec.events.reasons', false);
    names(events.kinds, 'spec.events.kinds');
  }
  if (audit) {
    names(audit.verbs, 'spec.audit.verbs');
    names(audit.resources, 'spec.audit.resources');
    regexes(audit.users, 'spec.audit.users', true);
    regexes(audit.groups, 'spec.audit.groups', true);
    regexes(audit.namespaces, 'spec.audit.namespaces', true);
    (audit.responseCodes ?? []).forEach((code, i) => {
      if (!/^[1-5][0-9x]{2}$/.test(code)) c.error(`spec.audit.responseCodes[${i}]`, `${JSON.stringify(code)} is not an HTTP status code or a class such as 5xx`);
    });
    (audit.stages ?? []).forEach((st, i) => oneOf(c, `spec.audit.stages[${i}]`, st, AUDIT_STAGES));
  }
  for (const k of Object.keys(labels ?? {})) {
    if (k === '') c.error('spec.labels', 'label names must not be empty');
    else if (PROTECTED_EVENT_LABELS.includes(k)) c.warn(`spec.labels.${k}`, `ignored: the ${k} label decides the tenant and always comes from the event`);
  }
}

/** Secrets and ConfigMaps known to exist, keyed `namespace/name` with their keys. */
export interface AvailableObjects {
  secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Namespace for references without one (NotificationManager `defaultSecretNamespace`, else the
   * service's namespace). When undefined, such a reference is satisfied by an object of that
   * name in any namespace.
   */
  defaultNamespace?: string | undefined;
}

function lookupRef(
  map: AvailableObjects['secrets'],
  namespace: string | undefined,
  name: string,
): { key: string; data: Readonly<Record<string, string>> } | undefined {
  if (namespace !== undefined) {
    const data = map[`${namespace}/${name}`];
    return data ? { key: `${namespace}/${name}`, data } : undefined;
  }
  const hit = Object.keys(map).find((k) => k.slice(k.indexOf('/') + 1) === name);
  return hit ? { key: hit, data: map[hit]! } : undefined;
}

/**
 * Warnings for `valueFrom.secretKeyRef` and ConfigMap references (`tmplText`, `template.text`,
 * `template.languagePack`) whose object or key is not in `available`.
 */
export function validateReferences(objects: readonly CrdObject[], available: AvailableObjects): Problem[] {
  const problems: Problem[] = [];
  for (const obj of objects) {
    const found = schemaFor(obj.apiVersion, obj.kind);
    if (!('schema' in found)) continue;
    const c = new Collector(obj.kind, obj.metadata.name);
    walkSchema(found.schema, obj, '', {
      node(schema, value, path) {
        if (schema === CredentialSchema) {
          const ref = (value as Credential).valueFrom?.secretKeyRef;
          if (!ref) return;
          const ns = ref.namespace || available.defaultNamespace;
          const hit = lookupRef(available.secrets, ns, ref.name);
          const where = `${path}.valueFrom.secretKeyRef`;
          if (!hit) c.warn(where, `Secret ${ns ? `${ns}/` : ''}${ref.name} not found`);
          else if (!(ref.key in hit.data)) c.warn(where, `Secret ${hit.key} has no key ${ref.key}`);
        } else if (schema === ConfigmapKeySelectorSchema) {
          const ref = value as ConfigmapKeySelector;
          const ns = ref.namespace || available.defaultNamespace;
          const hit = lookupRef(available.configMaps, ns, ref.name);
          if (!hit) c.warn(path, `ConfigMap ${ns ? `${ns}/` : ''}${ref.name} not found`);
          else if (ref.key && !(ref.key in hit.data)) c.warn(path, `ConfigMap ${hit.key} has no key ${ref.key}`);
        }
      },
    });
    if (obj.kind === 'NotificationManager') {
      for (const f of templateFilesOf(obj.spec)) {
        if (!f.configMap) continue;
        const ns = available.defaultNamespace;
        const hit = lookupRef(available.configMaps, ns, f.configMap.name);
        const where = `spec.receivers.options.global.templateFile[${f.index}]`;
        if (!hit) c.warn(where, `${f.path}: ConfigMap ${ns ? `${ns}/` : ''}${f.configMap.name} not found`);
        else if (!(f.configMap.key! in hit.data)) c.warn(where, `${f.path}: ConfigMap ${hit.key} has no key ${f.configMap.key}`);
      }
    }
    problems.push(...c.problems);
  }
  return problems;
}
