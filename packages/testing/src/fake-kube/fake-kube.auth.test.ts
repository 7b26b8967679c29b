import { afterEach, describe, expect, it } from '@jest/globals';
import { startFakeKube, type FakeKube, type KubeObject } from './fake-kube.server.js';
import type { AccessReviewSpec } from './fake-kube.auth.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const CLIENT_TOKEN = 'client-token';

describe('fake Kubernetes API server: TokenReview and SubjectAccessReview', () => {
  let kube: FakeKube | undefined;
  afterEach(async () => {
    await kube?.close();
    kube = undefined;
  });

  const post = async (path: string, body: unknown, token = CLIENT_TOKEN): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${kube!.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const tokenReview = async (token: string, audiences?: string[]) =>
    post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } });
  const allowed = async (spec: AccessReviewSpec): Promise<boolean> => {
    const r = await post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
    expect(r.status).toBe(201);
    return (r.body['status'] as { allowed: boolean }).allowed;
  };

  it('TokenReview authenticates registered tokens (with their groups and audiences) and nothing else; a removed token stops working', async () => {
    kube = await startFakeKube({ token: CLIENT_TOKEN, users: { 'alice-token': { username: 'alice', groups: ['team-a'] } } });
    kube.addUser('bot-token', { username: 'system:serviceaccount:ops:bot', audiences: ['notification-manager'] });

    const alice = await tokenReview('alice-token');
    expect(alice.status).toBe(201);
    expect(alice.body).toMatchObject({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1' });
    expect(alice.body['status']).toMatchObject({ authenticated: true, user: { username: 'alice', groups: ['team-a', 'system:authenticated'] } });

    expect((await tokenReview('nobody')).body['status']).toMatchObject({ error: 'invalid bearer token' });
    expect((await tokenReview('nobody')).body['status']).not.toHaveProperty('authenticated', true);

    // audiences: granted only when the token was issued for one of them
    expect((await tokenReview('bot-token', ['notification-manager'])).body['status']).toMatchObject({ authenticated: true, audiences: ['notification-manager'] });
    expect((await tokenReview('bot-token', ['something-else'])).body['status']).not.toHaveProperty('authenticated', true);
    expect((await tokenReview('alice-token', ['notification-manager'])).body['status']).not.toHaveProperty('authenticated', true);

    kube.removeUser('alice-token');
    expect((await tokenReview('alice-token')).body['status']).not.toHaveProperty('authenticated', true);

    // the review endpoints are behind the API server's own authentication
    expect((await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: 'bot-token' } }, 'wrong')).status).toBe(401);
    expect((await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: {} })).status).toBe(422);
  });

  it('SubjectAccessReview follows RBAC: ClusterRoleBindings everywhere, RoleBindings in their namespace only, subjects by user, group and service account', async () => {
    kube = await startFakeKube();
    const apply = (o: KubeObject): KubeObject => kube!.apply(o);
    apply({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'history-reader' },
      rules: [{ apiGroups: ['notification.kubesphere.io'], resources: ['notificationhistories'], verbs: ['list'] }],
    });
    apply({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'dlq-admin' },
      rules: [
        { apiGroups: ['notification.kubesphere.io'], resources: ['deadletters'], verbs: ['get', 'list'] },
        { apiGroups: ['notification.kubesphere.io'], resources: ['deadletters/replay'], verbs: ['create'] },
        { nonResourceURLs: ['/debug/*'], verbs: ['get'] },
      ],
    });
    apply({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ops-dlq' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'dlq-admin' },
      subjects: [{ kind: 'Group', name: 'ops' }],
    });
    apply({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'alice-history', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'history-reader' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'console' }],
    });
    apply({
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: 'one-receiver', namespace: 'team-b' },
      rules: [{ apiGroups: ['notification.kubesphere.io'], resources: ['receivers'], resourceNames: ['pager'], verbs: ['get'] }],
    });
    apply({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: 'bob-pager', namespace: 'team-b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-receiver' },
      subjects: [{ kind: 'User', name: 'bob' }],
    });

    const history = (user: string, namespace?: string, groups: string[] = []): AccessReviewSpec => ({
      user,
      groups,
      resourceAttributes: { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories', ...(namespace ? { namespace } : {}) },
    });
    expect(await allowed(history('alice', 'team-a'))).toBe(true);
    expect(await allowed(history('alice', 'team-b'))).toBe(false);
    expect(await allowed(history('alice'))).toBe(false); // a RoleBinding never grants cluster-wide
    expect(await allowed(history('system:serviceaccount:team-a:console', 'team-a'))).toBe(true);
    expect(await allowed(history('system:serviceaccount:other:console', 'team-a'))).toBe(false);
    expect(await allowed(history('mallory', 'team-a'))).toBe(false);
    expect(await allowed(history('root', undefined, ['system:masters']))).toBe(true);

    const dlq = (verb: string, subresource?: string, groups = ['ops']): AccessReviewSpec => ({
      user: 'carol',
      groups,
      resourceAttributes: { verb, group: 'notification.kubesphere.io', resource: 'deadletters', ...(subresource ? { subresource } : {}) },
    });
    expect(await allowed(dlq('list'))).toBe(true);
    expect(await allowed({ ...dlq('get'), resourceAttributes: { ...dlq('get').resourceAttributes, namespace: 'anywhere' } })).toBe(true);
    expect(await allowed(dlq('create', 'replay'))).toBe(true);
    expect(await allowed(dlq('create'))).toBe(false); // the subresource is its own resource
    expect(await allowed(dlq('delete'))).toBe(false);
    expect(await allowed(dlq('list', undefined, ['dev']))).toBe(false);
    expect(await allowed({ user: 'carol', groups: ['ops'], nonResourceAttributes: { path: '/debug/pprof', verb: 'get' } })).toBe(true);
    expect(await allowed({ user: 'carol', groups: ['ops'], nonResourceAttributes: { path: '/metrics', verb: 'get' } })).toBe(false);

    const receiver = (name: string, namespace = 'team-b'): AccessReviewSpec => ({
      user: 'bob',
      resourceAttributes: { verb: 'get', group: 'notification.kubesphere.io', resource: 'receivers', name, namespace },
    });
    expect(await allowed(receiver('pager'))).toBe(true);
    expect(await allowed(receiver('other'))).toBe(false);
    expect(await allowed(receiver('pager', 'team-a'))).toBe(false);

    // a removed binding takes its grant with it
    kube.remove(RBAC, 'RoleBinding', 'alice-history', 'team-a');
    expect(await allowed(history('alice', 'team-a'))).toBe(false);
  });

  it('refuses malformed reviews, and an authorize hook can decide instead of RBAC', async () => {
    kube = await startFakeKube({ authorize: (spec) => (spec.user === 'hooked' ? { allowed: true, reason: 'hook' } : undefined) });
    const path = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    expect((await post(path, { spec: { user: 'x' } })).status).toBe(422);
    expect((await post(path, { spec: { resourceAttributes: { verb: 'get' } } })).status).toBe(422);
    expect(await allowed({ user: 'hooked', resourceAttributes: { verb: 'get', resource: 'anything' } })).toBe(true);
    expect(await allowed({ user: 'other', resourceAttributes: { verb: 'get', resource: 'anything' } })).toBe(false);
    // scripted failures apply to the review endpoints too
    kube.failNext({ path: 'subjectaccessreviews', code: 500 });
    expect((await post(path, { spec: { user: 'hooked', resourceAttributes: { verb: 'get' } } })).status).toBe(500);
  });
});
