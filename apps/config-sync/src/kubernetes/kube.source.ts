import type { KubernetesObject } from '@kubernetes/client-node';
import type { ManifestInput } from '@nm/manifests';
import { isPlainObject, referencesOf } from '@nm/model';
import type { Logger } from '@nm/telemetry';
import type { KubeApis } from './kube.client.js';
import { apiVersionOf, collectionPath, CONFIG_MAPS, CUSTOM_KINDS, listFnOf, ROLE_BINDINGS, SECRETS, sourceOf, type WatchedKind } from './kube.resources.js';

type ResourceWatcher = KubeWatcher<WatchedKind>;
import { ResourceWatcher as KubeWatcher, type BackoffOptions } from '@nm/kube';

export interface KubeSourceOptions {
  /** Namespace notification-manager runs in: Secrets and ConfigMaps referenced without a namespace live here (unless `defaultSecretNamespace`). */
  namespace: string;
  backoff?: BackoffOptions;
  /**
   * How long a sync waits for the first list of a Secret/ConfigMap/RoleBinding watch started later
   * (a namespace a new reference names) before mirroring without it (default 10 s). The custom
   * resources are always waited for: nothing is mirrored before they were listed.
   */
  secondaryWaitMs?: number;
}

/** A custom resource as the API server holds it, with where it came from. */
export interface CustomObjectEntry {
  kind: WatchedKind;
  source: string;
  object: KubernetesObject & { status?: unknown };
}

export interface SourceState {
  /** Everything required was listed: a sync may mirror. */
  ready: boolean;
  /** Watches not listed yet. */
  waiting: string[];
}

export interface SourceSnapshot {
  inputs: ManifestInput[];
  customObjects: CustomObjectEntry[];
  /** Where Secret and ConfigMap references without a namespace resolve. */
  defaultNamespace: string;
}

type Raw = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * What the validator sees of an API object: apiVersion and kind (built-in kinds come without them
 * in lists), name, namespace and labels, and the content fields; no status, server-set metadata
 * or annotations (kubectl's last-applied annotation repeats inline credentials in clear text).
 */
function manifestOf(k: WatchedKind, o: KubernetesObject, fields: readonly string[]): Record<string, unknown> {
  const raw = o as Raw;
  const meta = raw.metadata ?? {};
  const metadata: Record<string, unknown> = { name: meta.name };
  if (meta.namespace) metadata['namespace'] = meta.namespace;
  if (meta.labels && Object.keys(meta.labels).length > 0) metadata['labels'] = { ...meta.labels };
  const out: Record<string, unknown> = { apiVersion: apiVersionOf(k), kind: k.kind, metadata };
  for (const f of fields) if (raw[f] !== undefined && raw[f] !== null) out[f] = raw[f];
  return out;
}

/** Every top-level field of a custom resource except what the server owns. */
const customFields = (o: KubernetesObject): string[] =>
  Object.keys(o).filter((k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status');

const byName = (a: KubernetesObject, b: KubernetesObject): number => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/**
 * The Kubernetes side of config-sync: informers on the seven custom kinds (cluster-scoped), on
 * Secrets and ConfigMaps in every namespace the configuration references (and the default one),
 * and on RoleBindings in all namespaces when `tenantKey: user`. Produces the manifests to validate:
 * every custom resource, the referenced Secrets and ConfigMaps, and the RoleBindings that grant
 * users something.
 */
export class KubeSource {
  private readonly custom = new Map<string, ResourceWatcher>();
  private readonly secrets = new Map<string, ResourceWatcher>();
  private readonly configMaps = new Map<string, ResourceWatcher>();
  private roleBindings: ResourceWatcher | undefined;
  private readonly secondaryWaitMs: number;
  private started = false;

  constructor(
    private readonly apis: KubeApis,
    private readonly opts: KubeSourceOptions,
    private readonly logger: Logger,
    private readonly onChange: () => void,
  ) {
    this.secondaryWaitMs = opts.secondaryWaitMs ?? 10_000;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const k of CUSTOM_KINDS) this.custom.set(k.kind, this.watch(k, undefined));
    this.reconcile();
  }

  async stop(): Promise<void> {
    const all = [...this.custom.values(), ...this.secrets.values(), ...this.configMaps.values(), ...(this.roleBindings ? [this.roleBindings] : [])];
    this.custom.clear();
    this.secrets.clear();
    this.configMaps.clear();
    this.roleBindings = undefined;
    await Promise.all(all.map((w) => w.stop()));
  }

  /** The NotificationManager in use: the first by name, as `nmctl` uses the first one read. */
  private notificationManager(): Raw | undefined {
    return [...(this.custom.get('NotificationManager')?.list() ?? [])].sort(byName)[0] as Raw | undefined;
  }

  defaultNamespace(): string {
    const spec = this.notificationManager()?.['spec'];
    const ns = isPlainObject(spec) ? spec['defaultSecretNamespace'] : undefined;
    return typeof ns === 'string' && ns !== '' ? ns : this.opts.namespace;
  }

  private tenantKeyIsUser(): boolean {
    const spec = this.notificationManager()?.['spec'];
    const receivers = isPlainObject(spec) ? spec['receivers'] : undefined;
    return isPlainObject(receivers) && receivers['tenantKey'] === 'user';
  }

  /** `namespace/name` of every Secret and ConfigMap the custom resources reference. */
  private referenced(): { secrets: Set<string>; configMaps: Set<string>; namespaces: Set<string> } {
    const defaultNs = this.defaultNamespace();
    const secrets = new Set<string>();
    const configMaps = new Set<string>();
    const namespaces = new Set<string>([defaultNs]);
    for (const w of this.custom.values()) {
      for (const o of w.list()) {
        for (const ref of referencesOf(manifestOf(w.kind, o, customFields(o)))) {
          const ns = ref.namespace ?? defaultNs;
          namespaces.add(ns);
          (ref.kind === 'Secret' ? secrets : configMaps).add(`${ns}/${ref.name}`);
        }
      }
    }
    return { secrets, configMaps, namespaces };
  }

  /** Starts and stops the Secret/ConfigMap/RoleBinding watches the current configuration needs. */
  reconcile(): void {
    if (!this.started) return;
    const { namespaces } = this.referenced();
    const sync = (watchers: Map<string, ResourceWatcher>, kind: WatchedKind): void => {
      for (const ns of namespaces) if (!watchers.has(ns)) watchers.set(ns, this.watch(kind, ns));
      for (const [ns, w] of watchers) {
        if (namespaces.has(ns)) continue;
        watchers.delete(ns);
        void w.stop();
      }
    };
    sync(this.secrets, SECRETS);
    sync(this.configMaps, CONFIG_MAPS);
    if (this.tenantKeyIsUser() && !this.roleBindings) this.roleBindings = this.watch(ROLE_BINDINGS, undefined);
    else if (!this.tenantKeyIsUser() && this.roleBindings) {
      void this.roleBindings.stop();
      this.roleBindings = undefined;
    }
  }

  private watch(kind: WatchedKind, namespace: string | undefined): ResourceWatcher {
    const target = {
      kind,
      kindName: kind.kind,
      namespace,
      path: collectionPath(kind, namespace),
      list: listFnOf(this.apis, kind, namespace),
      description: namespace !== undefined ? `${kind.plural} in ${namespace}` : kind.plural,
    };
    const w = new KubeWatcher(this.apis.kc, target, this.logger, () => this.onChange(), this.opts.backoff);
    w.start();
    return w;
  }

  state(now = Date.now()): SourceState {
    const waiting: string[] = [];
    let ready = true;
    for (const w of this.custom.values()) {
      if (w.listed) continue;
      waiting.push(w.description);
      ready = false;
    }
    const secondary = [...this.secrets.values(), ...this.configMaps.values(), ...(this.roleBindings ? [this.roleBindings] : [])];
    for (const w of secondary) {
      if (w.listed) continue;
      waiting.push(w.description);
      if (now - w.startedAt < this.secondaryWaitMs) ready = false;
    }
    return { ready, waiting };
  }

  snapshot(): SourceSnapshot {
    const defaultNamespace = this.defaultNamespace();
    const { secrets, configMaps } = this.referenced();
    const inputs: ManifestInput[] = [];
    const customObjects: CustomObjectEntry[] = [];
    for (const k of CUSTOM_KINDS) {
      const w = this.custom.get(k.kind);
      for (const o of [...(w?.list() ?? [])].sort(byName)) {
        const name = o.metadata?.name ?? '';
        const source = sourceOf(k, name);
        inputs.push({ file: source, value: manifestOf(k, o, customFields(o)) });
        customObjects.push({ kind: k, source, object: o });
      }
    }
    const namespaced = (watchers: Map<string, ResourceWatcher>, wanted: Set<string>, fields: readonly string[]): void => {
      for (const w of watchers.values()) {
        for (const o of [...w.list()].sort(byName)) {
          const name = o.metadata?.name ?? '';
          const ns = o.metadata?.namespace ?? w.namespace ?? '';
          if (!wanted.has(`${ns}/${name}`)) continue;
          inputs.push({ file: sourceOf(w.kind, name, ns), value: manifestOf(w.kind, o, fields) });
        }
      }
    };
    namespaced(this.secrets, secrets, ['data', 'stringData', 'type']);
    namespaced(this.configMaps, configMaps, ['data']);
    for (const o of this.roleBindings?.list() ?? []) {
      const subjects = (o as Raw)['subjects'];
      if (!Array.isArray(subjects) || !subjects.some((s) => isPlainObject(s) && s['kind'] === 'User')) continue;
      const name = o.metadata?.name ?? '';
      inputs.push({ file: sourceOf(ROLE_BINDINGS, name, o.metadata?.namespace), value: manifestOf(ROLE_BINDINGS, o, ['roleRef', 'subjects']) });
    }
    return { inputs, customObjects, defaultNamespace };
  }

  /** For logs and tests: which watches run. */
  watches(): string[] {
    return [...this.custom.values(), ...this.secrets.values(), ...this.configMaps.values(), ...(this.roleBindings ? [this.roleBindings] : [])].map((w) => w.description);
  }
}
