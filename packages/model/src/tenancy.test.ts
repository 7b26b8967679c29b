import { describe, expect, it } from '@jest/globals';
import type { RoleBinding } from './crd/core.schema.js';
import { namespaceUsersFromRoleBindings, tenantsOfAlert } from './tenancy.js';

const rb = (namespace: string | undefined, subjects: RoleBinding['subjects']): RoleBinding => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'rb', ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects,
});

describe('namespaceUsersFromRoleBindings', () => {
  it('collects User subjects per namespace, sorted and unique', () => {
    const m = namespaceUsersFromRoleBindings([
      rb('a', [{ kind: 'User', name: 'zoe' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }]),
      rb('a', [{ kind: 'User', name: 'bob' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'a' }]),
      rb('b', [{ kind: 'User', name: 'ann' }]),
      rb(undefined, [{ kind: 'User', name: 'lost' }]),
      rb('c', undefined),
    ]);
    expect([...m]).toEqual([
      ['a', ['bob', 'zoe']],
      ['b', ['ann']],
    ]);
  });
});

describe('tenantsOfAlert', () => {
  const s = { tenantKey: 'namespace', cluster: 'host' };
  it.each<[Record<string, string>, { tenantKey: string; cluster: string }, string[], string]>([
    [{ namespace: 'x' }, s, ['x'], 'namespace'],
    [{}, s, [], 'no-namespace'],
    [{ namespace: 'x' }, { tenantKey: 'user', cluster: 'host' }, [], 'lookup-failed'],
  ])('%j', (labels, settings, tenants, source) => {
    expect(tenantsOfAlert(labels, settings)).toMatchObject({ tenants, source, cluster: 'host' });
  });
});
