import type { z } from 'zod';

/** The few zod 4 definition fields the walker reads. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let d = defOf(s); WRAPPERS.has(d.type) && d.innerType; d = defOf(s)) s = d.innerType;
  return s;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface WalkVisitor {
  /** Called for every present value, with its unwrapped schema. */
  node?(schema: z.ZodType, value: unknown, path: string): void;
  /** Called for an object key the schema does not declare. */
  unknownField?(path: string): void;
}

export const joinPath = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;

/**
 * Walks `value` alongside `schema` (objects, arrays, records; unions and `unknown` are leaves).
 * Keys of `metadata` objects are never reported as unknown: Kubernetes owns that shape.
 */
export function walkSchema(schema: z.ZodType, value: unknown, path: string, visitor: WalkVisitor): void {
  if (value === undefined) return;
  const s = unwrap(schema);
  visitor.node?.(s, value, path);
  const d = defOf(s);
  switch (d.type) {
    case 'object': {
      if (!isPlainObject(value) || !d.shape) return;
      const isMeta = path === 'metadata';
      for (const [k, v] of Object.entries(value)) {
        const child = d.shape[k];
        if (child) walkSchema(child, v, joinPath(path, k), visitor);
        else if (!isMeta && !(path === '' && k === 'status')) visitor.unknownField?.(joinPath(path, k));
      }
      return;
    }
    case 'array':
      if (Array.isArray(value) && d.element) value.forEach((v, i) => walkSchema(d.element!, v, joinPath(path, i), visitor));
      return;
    case 'record':
      if (isPlainObject(value) && d.valueType) for (const [k, v] of Object.entries(value)) walkSchema(d.valueType, v, joinPath(path, k), visitor);
      return;
    case 'pipe':
      if (d.in) walkSchema(d.in, value, path, visitor);
      return;
    default:
      return;
  }
}

/** Deep copy without `null` object members (Go decodes `null` as absent). Array items are kept. */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNulls(v);
    return out;
  }
  return value;
}

/** The value at a zod issue path, for telling "missing" from "wrong type". */
export function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
