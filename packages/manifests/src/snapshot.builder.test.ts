import { describe, expect, it } from '@jest/globals';
import type { CrdObject } from '@nm/model';
import { buildSnapshot, type LoadedObject } from './snapshot.builder.js';

const API = 'notification.kubesphere.io/v2beta2' as const;
const at = (object: CrdObject, file = 'f.yaml'): LoadedObject => ({ file, kind: object.kind, name: object.metadata.name, object });
const secret = (name: string, namespace: string | undefined, data: Record<string, string>, stringData?: Record<string, string>): LoadedObject =>
  at({ apiVersion: 'v1', kind: 'Secret', metadata: namespace ? { name, namespace } : { name }, data, ...(stringData ? { stringData } : {}) });
const nm = (name: string, defaultSecretNamespace?: string): LoadedObject =>
  at({
    apiVersion: API,
    kind: 'NotificationManager',
    metadata: { name },
    spec: { receivers: { tenantKey: 'namespace' }, ...(defaultSecretNamespace ? { defaultSecretNamespace } : {}) },
  });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('buildSnapshot', () => {
  it('decodes Secrets into namespace/name keys, defaulting the namespace to defaultSecretNamespace', () => {
    const snap = buildSnapshot(
      [secret('a', undefined, { token: b64('t0k3n') }, { extra: 'plain' }), secret('b', 'dev', { k: b64('v') }), nm('nm', 'ops')],
      7,
    );
    expect(snap.revision).toBe(7);
    expect(snap.secrets).toEqual({ 'ops/a': { token: 't0k3n', extra: 'plain' }, 'dev/b': { k: 'v' } });
    expect(snap.notificationManager?.metadata.name).toBe('nm');
  });

  it('uses the namespace default without a NotificationManager or defaultSecretNamespace', () => {
    expect(buildSnapshot([secret('a', undefined, { k: b64('1') })], 1).secrets).toEqual({ 'default/a': { k: '1' } });
    expect(buildSnapshot([nm('nm'), secret('a', undefined, { k: b64('1') })], 1).secrets).toEqual({ 'default/a': { k: '1' } });
  });

  it('keeps the first Secret and the first NotificationManager when there are several', () => {
    const snap = buildSnapshot([nm('first', 'x'), nm('second', 'y'), secret('s', 'x', { k: b64('1') }), secret('s', undefined, { k: b64('2') })], 1);
    expect(snap.notificationManager?.metadata.name).toBe('first');
    expect(snap.secrets).toEqual({ 'x/s': { k: '1' } });
  });

  it('puts ConfigMaps, RoleBindings and the custom resources where the decision functions look', () => {
    const objects: CrdObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tpl', namespace: 'mon' }, data: { t: '{{ . }}' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bare' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb', namespace: 'dev' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'view' } },
      { apiVersion: API, kind: 'Config', metadata: { name: 'c' }, spec: {} },
      { apiVersion: API, kind: 'Receiver', metadata: { name: 'r2' }, spec: {} },
      { apiVersion: API, kind: 'Receiver', metadata: { name: 'r1' }, spec: {} },
      { apiVersion: API, kind: 'Router', metadata: { name: 'ro' }, spec: { alertSelector: {}, receivers: {} } },
      { apiVersion: API, kind: 'Silence', metadata: { name: 'si' }, spec: { matcher: {} } },
      { apiVersion: API, kind: 'InhibitRule', metadata: { name: 'ir' }, spec: { sourceSelector: {}, targetSelector: {} } },
    ];
    const snap = buildSnapshot(objects.map((o) => at(o)), 3);
    expect(snap.configMaps).toEqual({ 'mon/tpl': { t: '{{ . }}' }, 'default/bare': {} });
    expect(snap.roleBindings.map((o) => o.metadata.name)).toEqual(['rb']);
    expect(snap.configs.map((o) => o.metadata.name)).toEqual(['c']);
    expect(snap.receivers.map((o) => o.metadata.name)).toEqual(['r2', 'r1']);
    expect(snap.routers.map((o) => o.metadata.name)).toEqual(['ro']);
    expect(snap.silences.map((o) => o.metadata.name)).toEqual(['si']);
    expect(snap.inhibitRules.map((o) => o.metadata.name)).toEqual(['ir']);
    expect(snap.notificationManager).toBeUndefined();
    expect(snap.secrets).toEqual({});
  });
});
