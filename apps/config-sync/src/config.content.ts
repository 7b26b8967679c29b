import { defaultNamespaceOf, type FileProblem, type LoadedObject } from '@nm/manifests';
import { decodeSecretData } from '@nm/model';
import { KINDS, type ConfigContent, type StoredKind } from '@nm/config-store';
import { extractInlineCredentials, INLINE_NAMESPACE } from './inline.credentials.js';

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
