import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultNamespaceOf, loadManifests, type FileProblem, type LoadedObject } from '@nm/manifests';
import { decodeSecretData } from '@nm/model';
import { KINDS, type ConfigContent, type ConfigStoreWriter, type StoredKind } from '@nm/config-store';
import type { Logger, Metrics } from '@nm/telemetry';
import { extractInlineCredentials, INLINE_NAMESPACE } from './inline.credentials.js';
import { countMissingImplementations, missingSenderProblems } from './sender.coverage.js';

/** Turns loaded manifests into what the config store holds (secrets separated and encrypted by the writer). */
export function toContent(objects: readonly LoadedObject[], problems: readonly FileProblem[]): ConfigContent {
  const content: ConfigContent = { objects: [], secrets: [], problems: [] };
  const defaultNs = defaultNamespaceOf(objects);
  for (const o of objects) {
    if (o.kind === 'Secret') {
      const secret = o.object as Parameters<typeof decodeSecretData>[0];
      content.secrets.push({ namespace: o.namespace ?? defaultNs, name: o.name, data: decodeSecretData(secret) });
      continue;
    }
    if (!(KINDS as readonly string[]).includes(o.kind)) continue;
    const { object, secretName, data } = extractInlineCredentials(o.kind, o.name, o.object);
    if (Object.keys(data).length > 0) content.secrets.push({ namespace: INLINE_NAMESPACE, name: secretName, data });
    const namespaced = o.kind === 'ConfigMap' || o.kind === 'RoleBinding';
    const namespace = namespaced ? (o.namespace ?? defaultNs) : undefined;
    const body = namespaced ? { ...(object as Record<string, unknown>), metadata: { ...o.object.metadata, namespace } } : object;
    content.objects.push({ kind: o.kind as StoredKind, name: o.name, namespace, body });
  }
  const byObject = new Map<string, FileProblem[]>();
  for (const p of problems) {
    const k = `${p.file}#${p.kind}/${p.name}`;
    byObject.set(k, [...(byObject.get(k) ?? []), p]);
  }
  for (const [k, list] of byObject) {
    const [source] = k.split('#');
    content.problems.push({ source: source ?? '', kind: list[0]!.kind, name: list[0]!.name, problems: list });
  }
  return content;
}

async function signature(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const s = await stat(p).catch(() => undefined);
        if (s) parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  await walk(dir);
  return parts.join('|');
}

/**
 * Directory mode: loads every manifest under `dir`, rejects invalid objects (log + metric +
 * problems in Redis) while applying the rest, mirrors the result into Redis, and reloads when a
 * file changes (polled every `pollMs`). Receivers of channels without a sender in this version get a
 * warning (they are valid and routed, but nothing delivers their notifications).
 */
export class DirectorySync {
  private timer: NodeJS.Timeout | undefined;
  private lastSignature = '';
  private lastProblemsLogged = '';
  private running: Promise<void> | undefined;
  private readonly objectsGauge;
  private readonly problemsGauge;
  private readonly syncs;

  constructor(
    private readonly dir: string,
    private readonly writer: ConfigStoreWriter,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly pollMs = 1000,
    /** Called after every successful sync with the mirrored revision and the valid objects. */
    private readonly onMirrored?: (revision: number, objects: readonly LoadedObject[]) => void,
  ) {
    this.objectsGauge = metrics.gauge('nm_config_objects', 'Valid configuration objects, by kind', ['kind'] as const);
    this.problemsGauge = metrics.gauge('nm_config_problems', 'Configuration problems, by severity', ['severity'] as const);
    this.syncs = metrics.counter('nm_config_syncs_total', 'Configuration syncs, by result', ['result'] as const);
  }

  async start(): Promise<void> {
    await this.syncNow(true);
    this.timer = setInterval(() => void this.syncNow(false), this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  syncNow(force: boolean): Promise<void> {
    this.running ??= this.sync(force).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sync(force: boolean): Promise<void> {
    try {
      const sig = await signature(this.dir);
      // Re-mirror when the files changed, or when Redis lost the configuration (a restart
      // without persistence, a flush): readers keep their last snapshot meanwhile.
      if (!force && sig === this.lastSignature && (await this.writer.hasContent())) return;
      const manifests = await loadManifests([this.dir]);
      // Receivers of channels no sender exists for are valid (they route), but nothing delivers them.
      const loaded = { ...manifests, problems: [...manifests.problems, ...missingSenderProblems(manifests.objects)] };
      countMissingImplementations(this.metrics, loaded.objects);
      const text = loaded.problems.map((p) => `${p.severity}|${p.file}|${p.kind}/${p.name}|${p.field}|${p.message}`).join('\n');
      if (text !== this.lastProblemsLogged) {
        for (const p of loaded.problems) {
          const fields = { file: p.file, object: `${p.kind}/${p.name}`, field: p.field, problem: p.message };
          if (p.severity === 'error') this.logger.error(fields, 'invalid configuration object rejected');
          else this.logger.warn(fields, 'configuration warning');
        }
        this.lastProblemsLogged = text;
      }
      const counts = new Map<string, number>();
      for (const o of loaded.objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
      this.objectsGauge.reset();
      for (const [k, n] of counts) this.objectsGauge.set({ kind: k }, n);
      this.problemsGauge.set({ severity: 'error' }, loaded.problems.filter((p) => p.severity === 'error').length);
      this.problemsGauge.set({ severity: 'warning' }, loaded.problems.filter((p) => p.severity === 'warning').length);
      const { revision, changed } = await this.writer.replaceAll(toContent(loaded.objects, loaded.problems));
      this.lastSignature = sig;
      this.onMirrored?.(revision, loaded.objects);
      this.syncs.inc({ result: changed ? 'changed' : 'unchanged' });
      if (changed) this.logger.info({ revision, objects: loaded.objects.length, dir: this.dir }, 'configuration mirrored');
    } catch (err) {
      this.syncs.inc({ result: 'failed' });
      this.logger.error({ err: (err as Error).message, dir: this.dir }, 'configuration sync failed; will retry');
    }
  }
}
