import { describe, expect, it } from '@jest/globals';
import { parse } from '@marcbachmann/cel-js';
import { z } from 'zod';
import { buildCrds, toStructural, NonStructuralSchemaError, type JSONSchemaProps } from '../src/index.js';

/** The structural-schema rules of apiextensions.k8s.io/v1, as far as the generator can break them. */
function structuralProblems(s: JSONSchemaProps, path: string, out: string[]): void {
  const open = s['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (!s.type && !open && !intOrString) out.push(`${path}: no type`);
  if (intOrString && s.type) out.push(`${path}: int-or-string with a type`);
  if (s.properties && s.additionalProperties) out.push(`${path}: properties and additionalProperties`);
  for (const k of Object.keys(s)) {
    if (['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'propertyNames', '$schema', 'definitions', '$defs'].includes(k)) out.push(`${path}: ${k}`);
  }
  if (s.type === 'array' && !s.items) out.push(`${path}: array without items`);
  if (s.required) for (const r of s.required) if (!s.properties?.[r]) out.push(`${path}: required ${r} is not a property`);
  for (const r of s['x-kubernetes-validations'] ?? []) {
    try {
      parse(r.rule);
    } catch (e) {
      out.push(`${path}: CEL ${r.rule}: ${(e as Error).message}`);
    }
    if (!r.message) out.push(`${path}: CEL rule without message`);
  }
  for (const [k, v] of Object.entries(s.properties ?? {})) structuralProblems(v, `${path}.${k}`, out);
  if (s.items) structuralProblems(s.items, `${path}[]`, out);
  if (s.additionalProperties) structuralProblems(s.additionalProperties, `${path}.*`, out);
}

/** Nodes carrying CEL rules that sit inside a list (their cost multiplies by its estimated size). */
function rulesInLists(s: JSONSchemaProps, path: string, inList: boolean, out: string[]): void {
  if (inList && s['x-kubernetes-validations']) out.push(path);
  for (const [k, v] of Object.entries(s.properties ?? {})) rulesInLists(v, `${path}.${k}`, inList, out);
  if (s.items) rulesInLists(s.items, `${path}[]`, true, out);
  if (s.additionalProperties) rulesInLists(s.additionalProperties, `${path}.*`, true, out);
}

describe('generated CRDs', () => {
  const crds = buildCrds();

  it('are notification-manager\'s five kinds plus InhibitRule and EventRule, cluster-scoped, v2beta2, with its names and short names', () => {
    expect(
      crds.map((c) => [c.metadata.name, c.spec.scope, c.spec.names.kind, c.spec.names.shortNames ?? [], c.spec.names.categories, c.spec.versions.map((v) => v.name)]),
    ).toEqual([
      ['notificationmanagers.notification.kubesphere.io', 'Cluster', 'NotificationManager', ['nm'], ['notification-manager'], ['v2beta2']],
      ['configs.notification.kubesphere.io', 'Cluster', 'Config', ['nc'], ['notification-manager'], ['v2beta2']],
      ['receivers.notification.kubesphere.io', 'Cluster', 'Receiver', ['nr'], ['notification-manager'], ['v2beta2']],
      ['routers.notification.kubesphere.io', 'Cluster', 'Router', [], ['notification-manager'], ['v2beta2']],
      ['silences.notification.kubesphere.io', 'Cluster', 'Silence', [], ['notification-manager'], ['v2beta2']],
      ['inhibitrules.notification.kubesphere.io', 'Cluster', 'InhibitRule', ['nir'], ['notification-manager'], ['v2beta2']],
      ['eventrules.notification.kubesphere.io', 'Cluster', 'EventRule', ['ner'], ['notification-manager'], ['v2beta2']],
    ]);
  });

  it('serve and store one version with the status subresource (config-sync writes status.conditions)', () => {
    for (const crd of crds) {
      expect(crd.spec.versions).toHaveLength(1);
      const v = crd.spec.versions[0]!;
      expect([v.served, v.storage, v.subresources]).toEqual([true, true, { status: {} }]);
      const status = v.schema.openAPIV3Schema.properties!['status']!;
      expect(status.properties!['conditions']!['x-kubernetes-list-map-keys']).toEqual(['type']);
    }
  });

  it('have structural schemas: every node typed, no $ref/anyOf/const, CEL rules that parse', () => {
    const out: string[] = [];
    for (const crd of crds) structuralProblems(crd.spec.versions[0]!.schema.openAPIV3Schema, crd.spec.names.kind, out);
    expect(out).toEqual([]);
  });

  it('keep CEL rules out of lists, so the API server\'s cost estimate stays constant', () => {
    const out: string[] = [];
    for (const crd of crds) rulesInLists(crd.spec.versions[0]!.schema.openAPIV3Schema, crd.spec.names.kind, false, out);
    expect(out).toEqual([]);
  });

  it('keep metadata to `type: object` (the API server owns its schema)', () => {
    for (const crd of crds) expect(crd.spec.versions[0]!.schema.openAPIV3Schema.properties!['metadata']).toEqual({ type: 'object' });
  });

  it('show the durations of the model as int-or-string (a Go duration or integer nanoseconds)', () => {
    const nm = crds[0]!.spec.versions[0]!.schema.openAPIV3Schema.properties!['spec']!;
    expect(nm.properties!['batchMaxWait']).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(nm.properties!['receivers']!.properties!['options']!.properties!['wechat']!.properties!['tokenExpires']).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(nm.properties!['resources']).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(nm.properties!['sidecars']).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(nm.required).toEqual(['receivers']);
  });
});

describe('toStructural', () => {
  it('refuses what has no structural form instead of emitting it', () => {
    expect(() => toStructural(z.object({ a: z.union([z.string(), z.boolean()]) }))).toThrow(NonStructuralSchemaError);
    expect(() => toStructural(z.object({ a: z.union([z.object({ x: z.string() }), z.object({ y: z.string() })]) }))).toThrow(NonStructuralSchemaError);
  });

  it('turns loose objects into declared fields only, and unknown values into preserved ones', () => {
    expect(toStructural(z.looseObject({ a: z.string(), b: z.unknown().optional(), c: z.array(z.number().int()) }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { 'x-kubernetes-preserve-unknown-fields': true }, c: { type: 'array', items: { type: 'integer' } } },
      required: ['a', 'c'],
    });
  });
});
