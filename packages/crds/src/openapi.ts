import { z } from 'zod';

/**
 * Converts a zod schema of the model into a structural OpenAPI v3 schema as the Kubernetes API
 * server accepts it in a CustomResourceDefinition: every node typed, no `$ref`, `anyOf`,
 * `const` or `propertyNames`, `x-kubernetes-int-or-string` for durations (a Go duration string
 * or integer nanoseconds), `x-kubernetes-preserve-unknown-fields` where the model keeps any
 * value (`z.unknown()`, records of unknown), and the declared fields only everywhere else (the
 * API server prunes, and `kubectl apply` rejects, what a CRD does not declare).
 */

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  rule: string;
  /** The words `nmctl validate` prints for the same problem, with the field named. */
  message: string;
}

/** What the zod schema cannot say and the API server can enforce, attached to one schema node. */
export interface SchemaExtras {
  description?: string;
  enum?: readonly string[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  rules?: readonly CelRule[];
}

/** Extras keyed by the identity of the zod schema they belong to (applied wherever it is used). */
export type ExtrasTable = ReadonlyMap<z.ZodType, SchemaExtras>;

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this generator emits. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  enum?: string[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

const EXTRAS_KEY = 'x-nm-extras';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class NonStructuralSchemaError extends Error {
  constructor(path: string, detail: string) {
    super(`${path || '<root>'}: ${detail}`);
    this.name = 'NonStructuralSchemaError';
  }
}

/** Keys of zod's JSON Schema output this converter understands; anything else is an error. */
const KNOWN = new Set([
  'type', 'description', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'const',
  'pattern', 'format', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems',
  'propertyNames', '$schema', EXTRAS_KEY,
]);

const SAFE_INT_BOUNDS = new Set([Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);

/** A zod schema (object, array, scalar) as a structural OpenAPI v3 schema. */
export function toStructural(schema: z.ZodType, extras: ExtrasTable = new Map()): JSONSchemaProps {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'throw',
    override(ctx) {
      const e = extras.get(ctx.zodSchema as unknown as z.ZodType);
      if (e) (ctx.jsonSchema as Json)[EXTRAS_KEY] = e;
    },
  }) as Json;
  return convert(json, '');
}

function convert(node: Json, path: string): JSONSchemaProps {
  for (const k of Object.keys(node)) {
    if (!KNOWN.has(k)) throw new NonStructuralSchemaError(path, `unsupported JSON Schema keyword ${k}`);
  }
  const out: JSONSchemaProps = {};
  const extras = node[EXTRAS_KEY] as SchemaExtras | undefined;
  const description = extras?.description ?? (typeof node['description'] === 'string' ? node['description'] : undefined);
  if (description) out.description = description;

  const type = node['type'];
  if (Array.isArray(type)) {
    const t = (type as unknown[]).map(String).sort().join(',');
    if (t !== 'number,string' && t !== 'integer,string') throw new NonStructuralSchemaError(path, `a union of ${t} has no structural form`);
    out['x-kubernetes-int-or-string'] = true;
  } else if (type === undefined) {
    const rest = Object.keys(node).filter((k) => k !== 'description' && k !== EXTRAS_KEY && k !== '$schema');
    if (rest.length > 0) throw new NonStructuralSchemaError(path, `untyped node with ${rest.join(', ')}`);
    out['x-kubernetes-preserve-unknown-fields'] = true;
  } else if (type === 'object') {
    out.type = 'object';
    const props = node['properties'];
    const additional = node['additionalProperties'];
    if (isObj(props) && Object.keys(props).length > 0) {
      out.properties = {};
      for (const [k, v] of Object.entries(props)) {
        if (!isObj(v)) throw new NonStructuralSchemaError(`${path}.${k}`, 'not a schema');
        out.properties[k] = convert(v, `${path}.${k}`);
      }
      const required = node['required'];
      if (Array.isArray(required) && required.length > 0) out.required = required.map(String);
      // additionalProperties of a loose object ({}) is dropped: undeclared fields are pruned.
    } else if (isObj(additional) && Object.keys(additional).length > 0) {
      out.additionalProperties = convert(additional, `${path}.*`);
    } else {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  } else if (type === 'array') {
    out.type = 'array';
    const items = node['items'];
    if (!isObj(items)) throw new NonStructuralSchemaError(path, 'array without items');
    out.items = convert(items, `${path}[]`);
  } else if (type === 'string' || type === 'integer' || type === 'number' || type === 'boolean') {
    out.type = type;
  } else {
    throw new NonStructuralSchemaError(path, `unsupported type ${JSON.stringify(type)}`);
  }

  if ('const' in node) out.enum = [String(node['const'])];
  if (Array.isArray(node['enum'])) out.enum = node['enum'].map(String);
  for (const k of ['pattern', 'format'] as const) if (typeof node[k] === 'string') out[k] = node[k];
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems'] as const) {
    const v = node[k];
    if (typeof v === 'number' && !SAFE_INT_BOUNDS.has(v)) out[k] = v;
  }
  if (extras) {
    if (extras.enum) out.enum = [...extras.enum];
    if (extras.pattern) out.pattern = extras.pattern;
    if (extras.format) out.format = extras.format;
    if (extras.minLength !== undefined) out.minLength = extras.minLength;
    if (extras.maxItems !== undefined) out.maxItems = extras.maxItems;
    if (extras.minimum !== undefined) out.minimum = extras.minimum;
    if (extras.maximum !== undefined) out.maximum = extras.maximum;
    if (extras.rules?.length) out['x-kubernetes-validations'] = extras.rules.map((r) => ({ ...r }));
  }
  return out;
}
