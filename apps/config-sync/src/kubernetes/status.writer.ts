import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { FileProblem } from '@nm/manifests';
import { isPlainObject } from '@nm/model';
import type { Logger, Metrics } from '@nm/telemetry';
import { describeError, statusOf, type KubeApis } from './kube.client.js';
import type { CustomObjectEntry } from './kube.source.js';

/** The condition config-sync maintains on every custom resource. */
export const CONDITION_TYPE = 'Valid';

export interface ValidCondition {
  type: typeof CONDITION_TYPE;
  status: 'True' | 'False';
  /** `Valid`, `ValidWithWarnings` or `Invalid`. */
  reason: 'Valid' | 'ValidWithWarnings' | 'Invalid';
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** The most a condition message may hold (metav1.Condition allows 32768). */
const MAX_MESSAGE = 32_768;

/** One problem as `nmctl validate` words it, without the file and object it already belongs to. */
export function problemText(p: FileProblem): string {
  const field = p.field !== '' ? ` ${p.field}` : '';
  return `${p.severity}${field}: ${p.message.replace(/\s*[\r\n]+\s*/g, ' ')}`;
}

/** The Valid condition of an object from its problems (errors make it False). */
export function conditionFor(problems: readonly FileProblem[], generation: number | undefined, now: Date, previous?: Partial<ValidCondition>): ValidCondition {
  const errors = problems.filter((p) => p.severity === 'error');
  const status = errors.length > 0 ? 'False' : 'True';
  const reason = errors.length > 0 ? 'Invalid' : problems.length > 0 ? 'ValidWithWarnings' : 'Valid';
  let message = problems.length > 0 ? [...errors, ...problems.filter((p) => p.severity !== 'error')].map(problemText).join('; ') : 'no problems found';
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  const lastTransitionTime = previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type: CONDITION_TYPE, status, reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
}

const sameCondition = (a: Partial<ValidCondition> | undefined, b: ValidCondition): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

function conditionsOf(object: CustomObjectEntry['object']): Array<Record<string, unknown>> {
  const status = object.status;
  const list = isPlainObject(status) ? status['conditions'] : undefined;
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}

/**
 * Writes `status.conditions[type=Valid]` on the custom resources through the status subresource
 * (JSON merge patch; other condition types are kept), only when it differs from what the object
 * carries (or from what was just written and not yet seen back through the watch).
 */
export class StatusWriter {
  private readonly written = new Map<string, { signature: string; basedOn: string }>();
  private readonly patches;
  /** A patch failed: the next sync tries again even when nothing changed. */
  pending = false;

  constructor(
    private readonly apis: KubeApis,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.patches = metrics.counter('nm_config_status_writes_total', 'status.conditions patches of custom resources, by result', ['result'] as const);
  }

  async write(objects: readonly CustomObjectEntry[], problems: readonly FileProblem[], isLeader: () => boolean): Promise<number> {
    const bySource = new Map<string, FileProblem[]>();
    for (const p of problems) bySource.set(p.file, [...(bySource.get(p.file) ?? []), p]);
    const now = new Date();
    let written = 0;
    let failed = false;
    const live = new Set<string>();
    for (const entry of objects) {
      const name = entry.object.metadata?.name ?? '';
      const key = `${entry.kind.plural}/${name}`;
      live.add(key);
      const conditions = conditionsOf(entry.object);
      const previous = conditions.find((c) => c['type'] === CONDITION_TYPE) as Partial<ValidCondition> | undefined;
      const desired = conditionFor(bySource.get(entry.source) ?? [], entry.object.metadata?.generation, now, previous);
      if (sameCondition(previous, desired)) {
        this.written.delete(key);
        continue;
      }
      const signature = JSON.stringify({ ...desired, lastTransitionTime: undefined });
      const rv = entry.object.metadata?.resourceVersion ?? '';
      const last = this.written.get(key);
      if (last && last.signature === signature && last.basedOn === rv) continue; // written; the watch has not shown it yet
      if (!isLeader()) return written;
      try {
        await this.apis.custom.patchClusterCustomObjectStatus(
          {
            group: entry.kind.group,
            version: entry.kind.version,
            plural: entry.kind.plural,
            name,
            body: { status: { conditions: [...conditions.filter((c) => c['type'] !== CONDITION_TYPE), desired] } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        this.written.set(key, { signature, basedOn: rv });
        this.patches.inc({ result: 'written' });
        written += 1;
      } catch (err) {
        if (statusOf(err) === 404) continue; // deleted meanwhile
        failed = true;
        this.patches.inc({ result: 'failed' });
        this.logger.warn({ object: `${entry.kind.kind}/${name}`, err: describeError(err) }, 'could not write status.conditions; will retry');
      }
    }
    for (const key of this.written.keys()) if (!live.has(key)) this.written.delete(key);
    this.pending = failed;
    return written;
  }
}
