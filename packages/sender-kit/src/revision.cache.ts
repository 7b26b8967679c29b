/**
 * What a sender derives from one configuration revision, computed once per revision instead of
 * once per notification: receivers by name, effective settings, the Config index, and the
 * template registry (global template ConfigMap, language packs, receivers' `tmplText`).
 */
import type { Channel } from '@nm/contracts';
import {
  buildConfigIndex,
  effectiveSettings,
  objectKey,
  templateFilesOf,
  type ConfigIndex,
  type ConfigSnapshot,
  type ConfigmapKeySelector,
  type EffectiveSettings,
  type Receiver,
} from '@nm/model';
import { createTemplateRegistry, type TemplateRegistry, type TemplateProblem } from '@nm/templates';

/** A ConfigMap's data as the template package takes it: `{ source: 'configmap ns/name', data }`. */
export interface TextSource {
  source: string;
  data: Record<string, string>;
}

export interface RevisionState {
  readonly revision: number;
  readonly snapshot: ConfigSnapshot;
  readonly settings: EffectiveSettings;
  readonly configIndex: ConfigIndex;
  /** `defaultSecretNamespace`, else `default`: where Secrets and ConfigMaps without a namespace live. */
  readonly defaultNamespace: string;
  receiver(name: string): Receiver | undefined;
  /** `spec.receivers.options.<channel>`. */
  channelOptions(channel: Channel): Readonly<Record<string, unknown>> | undefined;
  /** `spec.receivers.options.global`. */
  globalOptions(): Readonly<Record<string, unknown>> | undefined;
  /** Built on first use; problems are reported once through `onProblems`. */
  registry(): TemplateRegistry;
  /** A ConfigMap's data (one key, or all when the selector names none); undefined when it does not exist. */
  configMapTexts(selector: ConfigmapKeySelector): TextSource | undefined;
}

export interface RevisionCacheOptions {
  onProblems?: (revision: number, problems: readonly TemplateProblem[]) => void;
  /** A ConfigMap a template setting names is not mirrored. */
  onMissingConfigMap?: (revision: number, ref: string) => void;
}

function build(snapshot: ConfigSnapshot, opts: RevisionCacheOptions): RevisionState {
  const settings = effectiveSettings(snapshot.notificationManager);
  const configIndex = buildConfigIndex(snapshot.configs, settings);
  const defaultNamespace = settings.defaultSecretNamespace || 'default';
  const receivers = new Map(snapshot.receivers.map((r) => [r.metadata.name, r]));
  const options = snapshot.notificationManager?.spec.receivers?.options as Record<string, Record<string, unknown> | undefined> | undefined;

  const memo = new Map<string, TextSource | undefined>();
  const configMapTexts = (selector: ConfigmapKeySelector): TextSource | undefined => {
    const id = `${selector.namespace || defaultNamespace}/${selector.name}#${selector.key ?? ''}`;
    if (memo.has(id)) return memo.get(id);
    const found = readConfigMap(selector);
    memo.set(id, found);
    return found;
  };
  const readConfigMap = (selector: ConfigmapKeySelector): TextSource | undefined => {
    const ns = selector.namespace || defaultNamespace;
    const data = snapshot.configMaps[objectKey(ns, selector.name)];
    const source = `configmap ${ns}/${selector.name}`;
    if (!data) {
      opts.onMissingConfigMap?.(snapshot.revision, source);
      return undefined;
    }
    if (!selector.key) return { source, data: { ...data } };
    const value = data[selector.key];
    if (value === undefined) {
      opts.onMissingConfigMap?.(snapshot.revision, `${source} key ${selector.key}`);
      return { source, data: {} };
    }
    return { source, data: { [selector.key]: value } };
  };

  let registry: TemplateRegistry | undefined;
  return {
    revision: snapshot.revision,
    snapshot,
    settings,
    configIndex,
    defaultNamespace,
    receiver: (name) => receivers.get(name),
    channelOptions: (channel) => options?.[channel],
    globalOptions: () => options?.['global'],
    configMapTexts,
    registry: () => {
      if (registry) return registry;
      const template = snapshot.notificationManager?.spec.template;
      const globalText = template?.text ? configMapTexts(template.text) : undefined;
      // notification-manager parsed the deprecated templateFile paths first, then template.text on top.
      const files = templateFilesOf(snapshot.notificationManager?.spec)
        .map((f) => (f.configMap ? configMapTexts(f.configMap) : undefined))
        .filter((t): t is TextSource => t !== undefined);
      const packs = (template?.languagePack ?? []).map(configMapTexts).filter((s): s is TextSource => s !== undefined);
      const built = createTemplateRegistry({
        globalTexts: [...files, ...(globalText ? [globalText] : [])],
        languagePacks: packs,
        ...(template?.language ? { defaultLanguage: template.language } : {}),
        ...(snapshot.notificationManager?.spec.timeZone ? { timeZone: snapshot.notificationManager.spec.timeZone } : {}),
      });
      if (built.problems.length > 0) opts.onProblems?.(snapshot.revision, built.problems);
      registry = built.registry;
      return registry;
    },
  };
}

/** Keeps the state of the latest revision seen. */
export class RevisionCache {
  private state: RevisionState | undefined;

  constructor(private readonly opts: RevisionCacheOptions = {}) {}

  of(snapshot: ConfigSnapshot): RevisionState {
    if (this.state?.snapshot !== snapshot) this.state = build(snapshot, this.opts);
    return this.state;
  }
}
