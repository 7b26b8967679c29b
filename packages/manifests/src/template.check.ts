import { validateTemplateText } from '@nm/templates';
import type { FileProblem } from './problem.format.js';
import type { LoadedObject } from './snapshot.builder.js';
import { isPlainObject as isRecord, templateFilesOf } from '@nm/model';

interface CmRef {
  namespace?: string | undefined;
  name: string;
  key?: string | undefined;
}


/** ConfigMaps used as template text: the NotificationManager's `spec.template.text` and every receiver section's `tmplText`. */
function templateRefs(objects: readonly LoadedObject[]): CmRef[] {
  const refs: CmRef[] = [];
  for (const { object } of objects) {
    const spec = (object as { spec?: unknown }).spec;
    if (!isRecord(spec)) continue;
    if (object.kind === 'NotificationManager') {
      const text = isRecord(spec.template) ? spec.template.text : undefined;
      if (isRecord(text) && typeof text.name === 'string') refs.push(text as unknown as CmRef);
      for (const f of templateFilesOf(spec)) if (f.configMap) refs.push(f.configMap);
    } else if (object.kind === 'Receiver') {
      for (const section of Object.values(spec)) {
        const t = isRecord(section) ? section.tmplText : undefined;
        if (isRecord(t) && typeof t.name === 'string') refs.push(t as unknown as CmRef);
      }
    }
  }
  return refs;
}

/**
 * Checks every template ConfigMap at config time. A key is a mustache template, or Go template
 * text (notification-manager's syntax, recognised by `{{ define`, `{{ range`, `{{ .Field` …) whose
 * definitions become template names. A key that does not parse — in Go, also a function or a
 * construct that is not supported — is an error naming the ConfigMap, key and line (rendering
 * skips such keys); `{{ template }}` calls and includes of names nobody defines are warnings.
 */
export function templateProblems(objects: readonly LoadedObject[], defaultNamespace: string): FileProblem[] {
  const problems: FileProblem[] = [];
  const seen = new Set<string>();
  for (const ref of templateRefs(objects)) {
    const ns = ref.namespace || defaultNamespace;
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.name === ref.name && (o.namespace || defaultNamespace) === ns);
    if (!cm) continue; // a missing reference is reported by validateReferences
    const data = ((cm.object as { data?: Record<string, string> }).data ?? {});
    const selected = ref.key ? (data[ref.key] === undefined ? {} : { [ref.key]: data[ref.key]! }) : data;
    const id = `${ns}/${ref.name}#${ref.key ?? '*'}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const p of validateTemplateText({ source: `configmap ${ns}/${ref.name}`, data: selected })) {
      problems.push({
        severity: p.severity,
        kind: 'ConfigMap',
        name: cm.name,
        field: p.key ? `data.${p.key}` : 'data',
        message: p.message,
        file: cm.file,
      });
    }
  }
  return problems;
}
