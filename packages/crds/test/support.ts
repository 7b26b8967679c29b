import { evaluate } from '@marcbachmann/cel-js';
import { Ajv, type ValidateFunction } from 'ajv';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildCrds, GROUP, type CustomResourceDefinition, type JSONSchemaProps } from '../src/index.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * An offline stand-in for the API server's handling of a custom resource: the served version,
 * the OpenAPI schema (ajv, with the formats and int-or-string the API server checks), the CEL
 * rules (cel-js, evaluated at every node that carries them, as the API server does), and the
 * fields it would prune (any field the schema does not declare).
 */
export class CrdValidator {
  private readonly byKind = new Map<string, { crd: CustomResourceDefinition; schema: JSONSchemaProps; validate: ValidateFunction }>();

  constructor(crds: readonly CustomResourceDefinition[] = buildCrds()) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
    ajv.addFormat('int64', true);
    ajv.addFormat('int32', true);
    ajv.addKeyword({
      keyword: 'x-kubernetes-int-or-string',
      schemaType: 'boolean',
      validate: (_: boolean, data: unknown) => typeof data === 'string' || Number.isInteger(data),
      errors: false,
    });
    for (const crd of crds) {
      const version = crd.spec.versions.find((v) => v.storage)!;
      const schema = version.schema.openAPIV3Schema;
      this.byKind.set(crd.spec.names.kind, { crd, schema, validate: ajv.compile(schema) });
    }
  }

  /** Every reason the API server would refuse the object (empty: it is stored as sent). */
  errors(obj: Record<string, unknown>): string[] {
    const kind = String(obj['kind']);
    const entry = this.byKind.get(kind);
    if (!entry) return [`no CRD for kind ${kind}`];
    const [group, version] = String(obj['apiVersion']).split('/');
    if (group !== GROUP || !entry.crd.spec.versions.some((v) => v.name === version && v.served)) {
      return [`the server could not find the requested resource (${String(obj['apiVersion'])} ${kind})`];
    }
    const out: string[] = [];
    if (!entry.validate(obj)) {
      for (const e of entry.validate.errors ?? []) out.push(`${e.instancePath || '/'} ${e.message ?? ''}`);
    }
    celErrors(entry.schema, obj, '', out);
    return out;
  }

  /** Paths of fields the schema does not declare: pruned by the API server, refused by `kubectl apply` (strict). */
  unknownFields(obj: Record<string, unknown>): string[] {
    const entry = this.byKind.get(String(obj['kind']));
    if (!entry) return [];
    const out: string[] = [];
    unknown(entry.schema, obj, '', out);
    return out;
  }

  schema(kind: string): JSONSchemaProps {
    return this.byKind.get(kind)!.schema;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function celErrors(schema: JSONSchemaProps, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    let ok: unknown;
    try {
      ok = evaluate(r.rule, { self: value });
    } catch (e) {
      ok = false;
      out.push(`${path || '/'}: rule ${r.rule} failed to evaluate: ${(e as Error).message}`);
    }
    if (ok !== true) out.push(`${path || '/'}: ${r.message}`);
  }
  if (schema.properties && isObj(value)) {
    for (const [k, s] of Object.entries(schema.properties)) celErrors(s, value[k], `${path}/${k}`, out);
  } else if (schema.additionalProperties && isObj(value)) {
    for (const [k, v] of Object.entries(value)) celErrors(schema.additionalProperties, v, `${path}/${k}`, out);
  } else if (schema.items && Array.isArray(value)) {
    value.forEach((v, i) => celErrors(schema.items!, v, `${path}/${i}`, out));
  }
}

function unknown(schema: JSONSchemaProps, value: unknown, path: string, out: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties) return;
  if (path === '/metadata') return;
  if (schema.properties && isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      const s = schema.properties[k];
      if (s) unknown(s, v, `${path}/${k}`, out);
      else if (!schema['x-kubernetes-preserve-unknown-fields']) out.push(`${path}/${k}`);
    }
  } else if (schema.additionalProperties && isObj(value)) {
    for (const [k, v] of Object.entries(value)) unknown(schema.additionalProperties, v, `${path}/${k}`, out);
  } else if (schema.items && Array.isArray(value)) {
    value.forEach((v, i) => unknown(schema.items!, v, `${path}/${i}`, out));
  }
}

/** YAML files under the given paths (files or directories, recursively). */
export function yamlFiles(...paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) out.push(...yamlFiles(join(p, f)));
    } else if (/\.ya?ml$/.test(p)) out.push(p);
  }
  return out;
}

/** Every document of the files, with the file it came from. */
export function loadDocuments(files: readonly string[]): Array<{ file: string; doc: Record<string, unknown> }> {
  const out: Array<{ file: string; doc: Record<string, unknown> }> = [];
  for (const file of files) {
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const doc: unknown = d.toJS();
      if (isObj(doc)) out.push({ file, doc });
    }
  }
  return out;
}

export const isNmObject = (doc: Record<string, unknown>): boolean => String(doc['apiVersion']).startsWith(`${GROUP}/`);
