import { ConfigmapKeySelectorSchema, CredentialSchema } from './crd/common.schema.js';
import { isPlainObject, walkSchema } from './schema.walk.js';
import { templateFilesOf } from './template.files.js';
import { schemaFor } from './validate.js';

/** A Secret or ConfigMap an object names (`valueFrom.secretKeyRef`, `tmplText`, `template.text`, `template.languagePack`). */
export interface ObjectReference {
  kind: 'Secret' | 'ConfigMap';
  /** As written; undefined when the reference leaves it to the default namespace. */
  namespace?: string | undefined;
  name: string;
  /** Where the reference is, e.g. `spec.webhook.httpConfig.bearerToken.valueFrom.secretKeyRef`. */
  path: string;
}

type RefVisitor = (ref: Record<string, unknown>, kind: ObjectReference['kind'], path: string) => void;

function visitReferences(obj: unknown, visit: RefVisitor): void {
  if (!isPlainObject(obj)) return;
  const found = schemaFor(obj['apiVersion'], obj['kind']);
  if (!('schema' in found)) return;
  walkSchema(found.schema, obj, '', {
    node(schema, value, path) {
      if (!isPlainObject(value)) return;
      if (schema === CredentialSchema) {
        const from = value['valueFrom'];
        const ref = isPlainObject(from) ? from['secretKeyRef'] : undefined;
        if (isPlainObject(ref) && typeof ref['name'] === 'string' && ref['name'] !== '') visit(ref, 'Secret', `${path}.valueFrom.secretKeyRef`);
      } else if (schema === ConfigmapKeySelectorSchema) {
        if (typeof value['name'] === 'string' && value['name'] !== '') visit(value, 'ConfigMap', path);
      }
    },
  });
}

/**
 * The Secrets and ConfigMaps a manifest references, found through its kind's schema (so it also
 * works on a manifest that was not validated; values of the wrong shape are skipped).
 */
export function referencesOf(obj: unknown): ObjectReference[] {
  const refs: ObjectReference[] = [];
  visitReferences(obj, (ref, kind, path) => {
    const ns = typeof ref['namespace'] === 'string' && ref['namespace'] !== '' ? ref['namespace'] : undefined;
    refs.push({ kind, namespace: ns, name: ref['name'] as string, path });
  });
  // The ConfigMaps behind `templateFile` paths (mounted in notification-manager's pod), in the default namespace.
  if (isPlainObject(obj) && obj['kind'] === 'NotificationManager') {
    for (const f of templateFilesOf(obj['spec'])) {
      if (f.configMap) refs.push({ kind: 'ConfigMap', namespace: undefined, name: f.configMap.name, path: `spec.receivers.options.global.templateFile[${f.index}]` });
    }
  }
  return refs;
}

/**
 * A deep copy of `obj` whose Secret and ConfigMap references without a namespace name
 * `namespace`, so readers resolve them without knowing where the object came from.
 */
export function qualifyReferences<T>(obj: T, namespace: string): T {
  const copy = structuredClone(obj);
  visitReferences(copy, (ref) => {
    if (typeof ref['namespace'] !== 'string' || ref['namespace'] === '') ref['namespace'] = namespace;
  });
  return copy;
}
