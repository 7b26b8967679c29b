/** `{alertname="A", namespace="ns"}`: a label set rendered the way Alertmanager renders one, sorted by name. */
export function labelSetString(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) out += `${i > 0 ? ', ' : ''}${names[i]!}=${JSON.stringify(labels[names[i]!])}`;
  return `${out}}`;
}

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The value of label `name`, or undefined when the alert does not have it. A label set is a plain
 * object, so a name such as `constructor` or `__proto__` read by indexing would find
 * Object.prototype's members on every alert; only the alert's own labels count.
 */
export function labelValue(labels: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : undefined;
}

/**
 * Sets `labels[name] = value` as an own property, also for `__proto__` (an assignment would change
 * the object's prototype instead and the label would vanish).
 */
export function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}
