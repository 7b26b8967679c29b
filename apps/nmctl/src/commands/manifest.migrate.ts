/**
 * Converts notification-manager manifests of older API versions to `notification.kubesphere.io/v2beta2`:
 *
 * - `v2beta1` (v1.0 – v2.4): the same Config and Receiver shapes, but Secret references were bare
 *   `SecretKeySelector`s `{namespace?, name, key}`; v2beta2 wraps them in a Credential
 *   (`valueFrom.secretKeyRef`), exactly as notification-manager's conversion webhook did.
 * - `v2alpha1` (v0.8) and `v1alpha1` (≤ v0.7): one kind per channel (`EmailConfig`, `SlackReceiver`
 *   …) becomes a `Config` or `Receiver` with one channel section; Secret references become
 *   Credentials; the email port becomes an integer, the Slack `channel` a `channels` list, the
 *   DingTalk `chatid` a `chatids` list, and WeChat `toUser`/`toParty`/`toTag` (`|`-separated) lists.
 *   Objects that were namespaced become cluster-scoped: their Secret references without a namespace
 *   name the object's old namespace.
 *
 * Anything that cannot be carried over is reported as a note; nothing is dropped silently.
 */
import { isPlainObject, NM_API_VERSION, validateManifest } from '@nm/model';

export interface MigrateInput {
  /** Where the document came from (`FILE#N`), for notes. */
  source: string;
  object: unknown;
}

export interface MigrateNote {
  source: string;
  /** `Kind/name` after conversion (or as written when it was not converted). */
  object: string;
  /** `lost`: something could not be carried over; `changed`: carried over differently (renamed, split, moved). */
  severity: 'lost' | 'changed';
  message: string;
}

export interface MigrateResult {
  objects: Record<string, unknown>[];
  notes: MigrateNote[];
}

const GROUP = 'notification.kubesphere.io';
const OLD_VERSIONS = new Set([`${GROUP}/v2beta1`, `${GROUP}/v2alpha1`, `${GROUP}/v1alpha1`]);
const CHANNELS: Record<string, string> = { Email: 'email', Wechat: 'wechat', Slack: 'slack', Webhook: 'webhook', DingTalk: 'dingtalk' };

/** Server-owned metadata that must not be applied again. */
const SERVER_METADATA = ['namespace', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'finalizers', 'ownerReferences'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Paths (below `spec`) of the Secret references of each kind, per channel section. */
const CONFIG_SECRETS: Record<string, string[][]> = {
  dingtalk: [['conversation', 'appkey'], ['conversation', 'appsecret']],
  email: [['authPassword'], ['authSecret'], ['tls', 'rootCA'], ['tls', 'clientCertificate', 'cert'], ['tls', 'clientCertificate', 'key']],
  slack: [['slackTokenSecret']],
  wechat: [['wechatApiSecret']],
  webhook: [],
};
const RECEIVER_SECRETS: Record<string, string[][]> = {
  dingtalk: [['chatbot', 'webhook'], ['chatbot', 'secret']],
  email: [],
  slack: [],
  wechat: [],
  webhook: [
    ['httpConfig', 'bearerToken'],
    ['httpConfig', 'basicAuth', 'password'],
    ['httpConfig', 'tlsConfig', 'rootCA'],
    ['httpConfig', 'tlsConfig', 'clientCertificate', 'cert'],
    ['httpConfig', 'tlsConfig', 'clientCertificate', 'key'],
  ],
};

type Obj = Record<string, unknown>;

const clone = <T>(v: T): T => structuredClone(v);

/** A bare `{namespace?, name, key}` Secret reference → a v2beta2 Credential. */
function toCredential(ref: unknown, namespace: string | undefined): unknown {
  if (!isPlainObject(ref) || 'valueFrom' in ref || 'value' in ref) return ref;
  const secretKeyRef: Obj = {};
  const ns = typeof ref['namespace'] === 'string' && ref['namespace'] !== '' ? ref['namespace'] : namespace;
  if (ns) secretKeyRef['namespace'] = ns;
  if (ref['name'] !== undefined) secretKeyRef['name'] = ref['name'];
  if (ref['key'] !== undefined) secretKeyRef['key'] = ref['key'];
  return { valueFrom: { secretKeyRef } };
}

function convertSecrets(section: Obj, paths: readonly string[][], namespace: string | undefined): void {
  for (const path of paths) {
    let parent: unknown = section;
    for (const step of path.slice(0, -1)) parent = isPlainObject(parent) ? parent[step] : undefined;
    const last = path[path.length - 1]!;
    if (isPlainObject(parent) && parent[last] !== undefined) parent[last] = toCredential(parent[last], namespace);
  }
}

function cleanMetadata(meta: unknown, keepNamespace = false): Obj {
  const out: Obj = isPlainObject(meta) ? clone(meta) : {};
  for (const k of SERVER_METADATA) if (!(keepNamespace && k === 'namespace')) delete out[k];
  if (isPlainObject(out['annotations'])) {
    const annotations = { ...out['annotations'] };
    delete annotations[LAST_APPLIED];
    if (Object.keys(annotations).length === 0) delete out['annotations'];
    else out['annotations'] = annotations;
  }
  return out;
}

const nameOf = (o: Obj): string => (isPlainObject(o['metadata']) && typeof o['metadata']['name'] === 'string' ? o['metadata']['name'] : '(unnamed)');
const namespaceOf = (o: Obj): string | undefined =>
  isPlainObject(o['metadata']) && typeof o['metadata']['namespace'] === 'string' && o['metadata']['namespace'] !== '' ? o['metadata']['namespace'] : undefined;

const splitList = (v: unknown, sep?: string): unknown =>
  typeof v === 'string'
    ? (sep ? v.split(sep) : [v]).map((s) => s.trim()).filter((s) => s !== '')
    : v;

/** The channel section of an old per-channel kind, in v2beta2's shape. */
function channelSection(channel: string, role: 'Config' | 'Receiver', spec: Obj, namespace: string | undefined, note: (severity: MigrateNote['severity'], message: string) => void): Obj {
  const s = clone(spec);
  convertSecrets(s, (role === 'Config' ? CONFIG_SECRETS : RECEIVER_SECRETS)[channel] ?? [], namespace);
  if (role === 'Config' && channel === 'email' && isPlainObject(s['smartHost'])) {
    const port = s['smartHost']['port'];
    if (typeof port === 'string') {
      if (/^\d+$/.test(port.trim())) s['smartHost'] = { ...s['smartHost'], port: Number(port.trim()) };
      else note('lost', `spec.email.smartHost.port ${JSON.stringify(port)} is not a port number: set it by hand`);
    }
  }
  if (role === 'Receiver' && channel === 'slack' && 'channel' in s) {
    s['channels'] = splitList(s['channel']);
    delete s['channel'];
  }
  if (role === 'Receiver' && channel === 'dingtalk' && isPlainObject(s['conversation']) && 'chatid' in s['conversation']) {
    const { chatid, ...rest } = s['conversation'];
    s['conversation'] = { ...rest, chatids: splitList(chatid) };
  }
  if (role === 'Receiver' && channel === 'wechat') {
    for (const k of ['toUser', 'toParty', 'toTag']) {
      if (typeof s[k] !== 'string') continue;
      const list = splitList(s[k], '|') as string[];
      if (list.length > 1) note('changed', `spec.wechat.${k} ${JSON.stringify(s[k])} split at | into ${list.length} entries`);
      s[k] = list;
    }
  }
  return s;
}

/** Converts the documents; v2beta2 and non-notification-manager documents (Secrets, ConfigMaps …) pass through unchanged. */
export function migrateManifests(inputs: readonly MigrateInput[]): MigrateResult {
  // converted objects keep their place among the others
  const objects: Array<Obj | undefined> = [];
  const notes: Array<MigrateNote & { order: number }> = [];
  const taken = new Set<string>();
  const pending: Array<{ order: number; at: number; source: string; obj: Obj; channel?: string; oldNamespace?: string | undefined; notes: Array<Omit<MigrateNote, 'source' | 'object'>> }> = [];

  for (const [order, { source, object }] of inputs.entries()) {
    if (!isPlainObject(object)) {
      notes.push({ order, source, object: '(document)', severity: 'lost', message: 'not an object: skipped' });
      continue;
    }
    const apiVersion = object['apiVersion'];
    const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
    const local: Array<Omit<MigrateNote, 'source' | 'object'>> = [];
    const note = (severity: MigrateNote['severity'], message: string): void => void local.push({ severity, message });
    if (typeof apiVersion !== 'string' || !OLD_VERSIONS.has(apiVersion)) {
      // already current, or not one of notification-manager's kinds: carried as written
      if (apiVersion === NM_API_VERSION) taken.add(`${kind}/${nameOf(object)}`);
      objects.push(object);
      continue;
    }
    const oldNamespace = namespaceOf(object);
    const name = nameOf(object);
    const perChannel = /^(Email|Wechat|Slack|Webhook|DingTalk)(Config|Receiver)$/.exec(kind);
    if (apiVersion.endsWith('/v2beta1') && (kind === 'Config' || kind === 'Receiver' || kind === 'NotificationManager')) {
      const spec = isPlainObject(object['spec']) ? clone(object['spec']) : {};
      if (kind !== 'NotificationManager') {
        const table = kind === 'Config' ? CONFIG_SECRETS : RECEIVER_SECRETS;
        for (const [channel, section] of Object.entries(spec)) if (isPlainObject(section)) convertSecrets(section, table[channel] ?? [], undefined);
      }
      const obj: Obj = { apiVersion: NM_API_VERSION, kind, metadata: cleanMetadata(object['metadata']), spec };
      if (object['status'] !== undefined) note('changed', 'status dropped (the server writes it)');
      pending.push({ order, at: objects.push(undefined) - 1, source, obj, notes: local });
    } else if (kind === 'NotificationManager') {
      const obj: Obj = { apiVersion: NM_API_VERSION, kind, metadata: cleanMetadata(object['metadata']), spec: isPlainObject(object['spec']) ? clone(object['spec']) : {} };
      if (oldNamespace) note('changed', `was in namespace ${oldNamespace}; NotificationManager is cluster-scoped now`);
      pending.push({ order, at: objects.push(undefined) - 1, source, obj, notes: local });
    } else if (perChannel) {
      const channel = CHANNELS[perChannel[1]!]!;
      const role = perChannel[2] as 'Config' | 'Receiver';
      const spec = isPlainObject(object['spec']) ? object['spec'] : {};
      const section = channelSection(channel, role, spec, oldNamespace, note);
      if (oldNamespace) note('changed', `was ${kind} in namespace ${oldNamespace}; ${role} is cluster-scoped now (Secret references without a namespace name ${oldNamespace})`);
      const obj: Obj = { apiVersion: NM_API_VERSION, kind: role, metadata: cleanMetadata(object['metadata']), spec: { [channel]: section } };
      pending.push({ order, at: objects.push(undefined) - 1, source, obj, channel, oldNamespace, notes: local });
    } else {
      notes.push({ order, source, object: `${kind || '(no kind)'}/${name}`, severity: 'lost', message: `${apiVersion} ${kind || '(no kind)'} has no v2beta2 counterpart: not converted` });
      continue;
    }
  }

  // Names: per-channel kinds of one name (EmailConfig/x and SlackConfig/x) become objects of one
  // kind; the second and later get the channel (and old namespace) as a suffix.
  for (const p of pending) {
    const kind = p.obj['kind'] as string;
    const meta = p.obj['metadata'] as Obj;
    const original = typeof meta['name'] === 'string' ? meta['name'] : '(unnamed)';
    const candidates = [original, ...(p.channel ? [`${original}-${p.channel}`, ...(p.oldNamespace ? [`${original}-${p.oldNamespace}-${p.channel}`] : [])] : [])];
    const name = candidates.find((c) => !taken.has(`${kind}/${c}`)) ?? `${original}-${taken.size}`;
    if (name !== original) {
      meta['name'] = name;
      p.notes.push({ severity: 'changed', message: `renamed from ${original}: another ${kind} has that name` });
    }
    taken.add(`${kind}/${name}`);
    for (const problem of validateManifest(p.obj).problems) {
      p.notes.push({ severity: problem.severity === 'error' ? 'lost' : 'changed', message: `after conversion, ${problem.severity} ${problem.field}: ${problem.message}` });
    }
    objects[p.at] = p.obj;
    for (const n of p.notes) notes.push({ order: p.order, source: p.source, object: `${kind}/${name}`, ...n });
  }
  notes.sort((a, b) => a.order - b.order);
  return { objects: objects.filter((o): o is Obj => o !== undefined), notes: notes.map(({ order: _order, ...n }) => n) };
}
