import { readFile } from 'node:fs/promises';
import { validateManifest, validateReferences, type CrdObject } from '@nm/model';
import { listManifestFiles } from './manifest.files.js';
import { parseManifestFile } from './manifest.parser.js';
import { fileError, type FileProblem } from './problem.format.js';
import { buildSnapshot, defaultNamespaceOf, firstNotificationManager, type LoadedObject } from './snapshot.builder.js';
import { templateProblems } from './template.check.js';

export interface LoadResult {
  /** Objects without errors, in file order then document order. */
  objects: LoadedObject[];
  /** Every problem, grouped by file in file order. */
  problems: FileProblem[];
}

/** Kinds that live in a namespace: their identity includes it. */
const NAMESPACED_KINDS: ReadonlySet<string> = new Set(['Secret', 'ConfigMap', 'RoleBinding']);

function loaded(file: string, object: CrdObject): LoadedObject {
  const { name, namespace } = object.metadata;
  return namespace ? { file, kind: object.kind, name, namespace, object } : { file, kind: object.kind, name, object };
}

/** Keeps the first object of every identity; later ones become errors naming the first file. */
function dropDuplicates(candidates: readonly LoadedObject[], problems: FileProblem[]): LoadedObject[] {
  const defaultNs = defaultNamespaceOf(candidates);
  const first = new Map<string, LoadedObject>();
  const kept: LoadedObject[] = [];
  for (const o of candidates) {
    const namespaced = NAMESPACED_KINDS.has(o.kind);
    const display = namespaced ? `${o.namespace || defaultNs}/${o.name}` : o.name;
    const key = `${o.kind}/${display}`;
    const earlier = first.get(key);
    if (earlier) {
      problems.push({
        severity: 'error',
        kind: o.kind,
        name: o.name,
        field: 'metadata.name',
        message: `duplicate ${o.kind} ${display}: already defined in ${earlier.file}; this one is ignored`,
        file: o.file,
      });
      continue;
    }
    first.set(key, o);
    kept.push(o);
  }
  const nm = firstNotificationManager(kept);
  for (const o of kept) {
    if (o.kind === 'NotificationManager' && o.object !== nm && nm) {
      problems.push({
        severity: 'warning',
        kind: o.kind,
        name: o.name,
        field: '',
        message: `only one NotificationManager is used: ${nm.metadata.name} (the first one read)`,
        file: o.file,
      });
    }
  }
  return kept;
}

/** A manifest read from somewhere (`file` names where: a path, or an API object's address), not yet validated. */
export interface ManifestInput {
  file: string;
  value: unknown;
}

export interface ValidateOptions {
  /**
   * Namespace of Secret and ConfigMap references without one. Default: the NotificationManager's
   * `defaultSecretNamespace`, else any namespace (offline, the service's namespace is not known).
   */
  defaultNamespace?: string | undefined;
}

/**
 * Validates manifests wherever they came from (files, the Kubernetes API): each with
 * `validateManifest`, later duplicates of a kind/name (namespace/name for Secrets, ConfigMaps,
 * RoleBindings) dropped, then Secret and ConfigMap references checked among the valid objects
 * (`validateReferences`, as warnings) and template ConfigMaps parsed. Objects with an error are
 * left out of `objects`; everything else is kept, in input order.
 */
export function validateObjects(inputs: readonly ManifestInput[], opts: ValidateOptions = {}): LoadResult {
  const problems: FileProblem[] = [];
  const candidates: LoadedObject[] = [];
  for (const { file, value } of inputs) {
    const result = validateManifest(value);
    for (const p of result.problems) problems.push({ ...p, file });
    if (result.object) candidates.push(loaded(file, result.object));
  }

  const objects = dropDuplicates(candidates, problems);

  const snapshot = buildSnapshot(objects, 0);
  const available = {
    secrets: snapshot.secrets,
    configMaps: snapshot.configMaps,
    defaultNamespace: snapshot.notificationManager?.spec.defaultSecretNamespace || opts.defaultNamespace || undefined,
  };
  for (const o of objects) {
    for (const p of validateReferences([o.object], available)) problems.push({ ...p, file: o.file });
  }
  problems.push(...templateProblems(objects, available.defaultNamespace ?? defaultNamespaceOf(objects)));
  return { objects, problems };
}

/**
 * Loads manifests from files and directories (see `listManifestFiles`): parses every YAML
 * document (or JSON file) and validates them with {@link validateObjects}.
 *
 * References without a namespace resolve in the NotificationManager's `defaultSecretNamespace`
 * when it is set, else in any namespace (the service's namespace is not known offline).
 *
 * Throws `ManifestPathError` only when a given path is missing or unreadable.
 */
export async function loadManifests(paths: readonly string[]): Promise<LoadResult> {
  const { files, problems: listProblems } = await listManifestFiles(paths);
  const problems: FileProblem[] = [...listProblems];
  const inputs: ManifestInput[] = [];

  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      problems.push(fileError(file, `cannot read file: ${e instanceof Error ? e.message : String(e)}`));
      continue;
    }
    const parsed = parseManifestFile(file, text);
    problems.push(...parsed.problems);
    for (const value of parsed.manifests) inputs.push({ file, value });
  }

  const validated = validateObjects(inputs);
  problems.push(...validated.problems);

  // Group by file (stable), in the order the files were read.
  const order = new Map<string, number>();
  for (const p of [...listProblems, ...files.map((file) => ({ file }))]) if (!order.has(p.file)) order.set(p.file, order.size);
  const rank = (p: FileProblem): number => order.get(p.file) ?? order.size;
  problems.sort((a, b) => rank(a) - rank(b));
  return { objects: validated.objects, problems };
}
