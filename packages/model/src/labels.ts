/** `{alertname="A", namespace="ns"}`: a label set rendered the way Alertmanager renders one, sorted by name. */
export function labelSetString(labels: Readonly<Record<string, string>>): string {
  return '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ') + '}';
}

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
