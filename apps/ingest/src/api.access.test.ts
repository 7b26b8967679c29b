import { describe, expect, it } from '@jest/globals';
import { GLOBAL_TENANT } from '@nm/contracts';
import { actionOf, checkOf, createApiAccess, type ApiAction, type Principal } from './api.access.js';
import { cachedReviewer, KubeReviewUnavailableError, type KubeReviewer, type KubeUser, type ResourceCheck } from './kube.review.js';
import { TokenTable } from './token.source.js';

/** A reviewer from a token map and a predicate; records every review it was asked. */
function fakeReviewer(users: Record<string, KubeUser>, allow: (u: KubeUser, c: ResourceCheck) => boolean) {
  const asked: { tokens: string[]; checks: Array<{ user: string; check: ResourceCheck }> } = { tokens: [], checks: [] };
  const reviewer: KubeReviewer = {
    authenticate: (token) => {
      asked.tokens.push(token);
      return Promise.resolve(users[token]);
    },
    authorize: (user, check) => {
      asked.checks.push({ user: user.username, check });
      return Promise.resolve(allow(user, check));
    },
  };
  return { reviewer, asked };
}

const headers = (token?: string, extra: Record<string, string[]> = {}): Record<string, string[]> => ({
  ...(token !== undefined ? { authorization: [`Bearer ${token}`] } : {}),
  ...extra,
});

async function principal(access: ReturnType<typeof createApiAccess>, h: Record<string, string[]>): Promise<Principal> {
  const r = await access.authenticate(h);
  if (!r.ok) throw new Error(`not authenticated: ${r.status} ${r.message}`);
  return r.principal;
}

describe('which action a request is', () => {
  it.each([
    ['GET', '/api/v2/history', 'history'],
    ['POST', '/api/v2/route', 'receivers'],
    ['GET', '/api/v2/dlq', 'dlq.list'],
    ['GET', '/api/v2/dlq/12', 'dlq.get'],
    ['POST', '/api/v2/dlq/12/replay', 'dlq.replay'],
    ['POST', '/api/v2/verify', 'verify'],
    ['POST', '/api/v2/notifications', 'notifications'],
    ['DELETE', '/api/v2/dlq/12', 'other'],
    ['GET', '/receivers', 'other'],
    ['POST', '/api/v2/history', 'other'],
  ])('%s %s → %s', (method, path, action) => {
    expect(actionOf(method, path)).toBe(action);
  });

  it('asks SubjectAccessReviews in group notification.kubesphere.io', () => {
    expect(checkOf('history', 'GET', 'team-a')).toEqual({ verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories', namespace: 'team-a' });
    expect(checkOf('dlq.replay', 'POST')).toEqual({ verb: 'create', group: 'notification.kubesphere.io', resource: 'deadletters', subresource: 'replay' });
    expect(checkOf('other', 'DELETE')).toEqual({ verb: 'delete', group: 'notification.kubesphere.io', resource: 'notificationmanagers', subresource: 'api' });
  });
});

describe('token mode', () => {
  const tables = async () => ({
    adminTokens: await TokenTable.open({ name: 'A', tokens: [{ token: 'admin-tok' }] }),
    tenantTokens: await TokenTable.open({ name: 'T', tokens: [{ token: 'a-tok', tenant: 'team-a' }], withTenant: true }),
  });

  it('401 without or with an unknown token; admin may everything; a tenant token only its own history and receivers', async () => {
    const access = createApiAccess({ mode: 'token', ...(await tables()), tenantKey: () => 'namespace' });
    expect(await access.authenticate(headers())).toMatchObject({ ok: false, status: 401 });
    expect(await access.authenticate(headers('nope'))).toMatchObject({ ok: false, status: 401 });
    expect(await access.authenticate({ authorization: ['Basic YTpi'] })).toMatchObject({ ok: false, status: 401 });

    const admin = await principal(access, headers('admin-tok'));
    const actions: ApiAction[] = ['history', 'receivers', 'dlq.list', 'dlq.get', 'dlq.replay', 'verify', 'notifications', 'other'];
    for (const a of actions) expect(await access.allows(admin, a)).toBe(true);

    const tenant = await principal(access, headers('a-tok'));
    expect(tenant).toEqual({ kind: 'tenant', tenant: 'team-a' });
    expect(await access.allows(tenant, 'history', { tenant: 'team-a' })).toBe(true);
    expect(await access.allows(tenant, 'receivers', { tenant: 'team-a' })).toBe(true);
    expect(await access.allows(tenant, 'history', { tenant: 'team-b' })).toBe(false);
    expect(await access.allows(tenant, 'history')).toBe(false);
    expect(await access.allows(tenant, 'receivers', { tenant: GLOBAL_TENANT })).toBe(false);
    for (const a of ['dlq.list', 'dlq.get', 'dlq.replay', 'verify', 'notifications', 'other'] as const) expect(await access.allows(tenant, a)).toBe(false);
  });

  it('never asks Kubernetes, and refuses impersonation with a static token', async () => {
    const { reviewer, asked } = fakeReviewer({ 'kube-tok': { username: 'alice', groups: [] } }, () => true);
    const access = createApiAccess({ mode: 'token', ...(await tables()), reviewer, tenantKey: () => 'namespace' });
    expect(await access.authenticate(headers('kube-tok'))).toMatchObject({ ok: false, status: 401 });
    expect(asked.tokens).toEqual([]);
    expect(await access.authenticate(headers('admin-tok', { 'impersonate-user': ['alice'] }))).toMatchObject({ ok: false, status: 403 });
  });

  it('none: everyone, no token asked', async () => {
    const access = createApiAccess({ mode: 'none', tenantKey: () => 'namespace' });
    const p = await principal(access, headers());
    expect(p).toEqual({ kind: 'anonymous' });
    expect(await access.allows(p, 'dlq.replay')).toBe(true);
  });
});

describe('kubernetes mode', () => {
  const users: Record<string, KubeUser> = {
    'alice-tok': { username: 'alice', groups: ['system:authenticated'] },
    'ops-tok': { username: 'ops', groups: ['ops', 'system:authenticated'] },
    'console-tok': { username: 'system:serviceaccount:kubesphere-system:ks-apiserver', groups: ['system:authenticated'] },
  };
  /** alice: history and receivers in namespace team-a; ops: everything cluster-wide; the console may impersonate. */
  const rbac = (u: KubeUser, c: ResourceCheck): boolean =>
    u.groups.includes('ops') ||
    (u.username === 'alice' && c.namespace === 'team-a' && ['notificationhistories', 'receivers'].includes(c.resource) && !c.subresource) ||
    (u.username.endsWith(':ks-apiserver') && c.verb === 'impersonate' && (c.resource === 'users' || (c.resource === 'groups' && c.name !== 'system:masters')));

  it('namespace tenants: a namespaced SubjectAccessReview per tenant; cluster-wide ones for the DLQ and the global tenant', async () => {
    const { reviewer, asked } = fakeReviewer(users, rbac);
    const access = createApiAccess({ mode: 'kubernetes', reviewer, tenantKey: () => 'namespace' });
    expect(await access.authenticate(headers('unknown'))).toMatchObject({ ok: false, status: 401 });
    const alice = await principal(access, headers('alice-tok'));
    expect(await access.allows(alice, 'history', { tenant: 'team-a' })).toBe(true);
    expect(await access.allows(alice, 'history', { tenant: 'team-b' })).toBe(false);
    expect(await access.allows(alice, 'history', { tenant: GLOBAL_TENANT })).toBe(false);
    expect(await access.allows(alice, 'history')).toBe(false);
    expect(await access.allows(alice, 'dlq.get', { tenant: 'team-a' })).toBe(false); // cluster scope whatever the tenant
    expect(asked.checks.map((c) => c.check)).toEqual([
      { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories', namespace: 'team-a' },
      { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories', namespace: 'team-b' },
      { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories' },
      { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories' },
      { verb: 'get', group: 'notification.kubesphere.io', resource: 'deadletters' },
    ]);
    const ops = await principal(access, headers('ops-tok'));
    expect(await access.allows(ops, 'dlq.replay')).toBe(true);
    expect(await access.allows(ops, 'history', { tenant: 'anyone' })).toBe(true);
  });

  it('user tenants: a user is its own tenant; other tenants need a cluster-wide grant', async () => {
    const { reviewer } = fakeReviewer(users, rbac);
    const access = createApiAccess({ mode: 'kubernetes', reviewer, tenantKey: () => 'user' });
    const alice = await principal(access, headers('alice-tok'));
    expect(await access.allows(alice, 'history', { tenant: 'alice' })).toBe(true);
    expect(await access.allows(alice, 'history', { tenant: 'bob' })).toBe(false);
    expect(await access.allows(alice, 'history', { tenant: 'team-a' })).toBe(false); // no namespaced meaning in user mode
    const ops = await principal(access, headers('ops-tok'));
    expect(await access.allows(ops, 'history', { tenant: 'bob' })).toBe(true);
  });

  it('impersonation (a console calling for its user) is authorised like the API server does, and the user is then checked', async () => {
    const { reviewer, asked } = fakeReviewer(users, rbac);
    const access = createApiAccess({ mode: 'kubernetes', reviewer, tenantKey: () => 'namespace' });
    const viaConsole = await principal(access, headers('console-tok', { 'impersonate-user': ['alice'], 'impersonate-group': ['team-a-viewers'] }));
    expect(viaConsole).toEqual({
      kind: 'kube',
      user: { username: 'alice', groups: ['team-a-viewers', 'system:authenticated'] },
      impersonatedBy: 'system:serviceaccount:kubesphere-system:ks-apiserver',
    });
    expect(asked.checks.slice(0, 2).map((c) => [c.check.resource, c.check.name])).toEqual([
      ['users', 'alice'],
      ['groups', 'team-a-viewers'],
    ]);
    expect(await access.allows(viaConsole, 'history', { tenant: 'team-a' })).toBe(true);
    expect(await access.allows(viaConsole, 'history', { tenant: 'team-b' })).toBe(false);
    // not allowed to impersonate: 403; a group it may not add: 403; alice may not impersonate at all
    expect(await access.authenticate(headers('console-tok', { 'impersonate-user': ['ops'], 'impersonate-group': ['system:masters'] }))).toMatchObject({ ok: false, status: 403 });
    expect(await access.authenticate(headers('alice-tok', { 'impersonate-user': ['ops'] }))).toMatchObject({ ok: false, status: 403 });
    expect(await access.authenticate(headers('console-tok', { 'impersonate-group': ['ops'] }))).toMatchObject({ ok: false, status: 400 });
    expect(await access.authenticate(headers('console-tok', { 'impersonate-user': ['alice'], 'impersonate-extra-scopes': ['x'] }))).toMatchObject({ ok: false, status: 400 });
  });

  it('static admin tokens work in Kubernetes mode too, without asking the API server', async () => {
    const { reviewer, asked } = fakeReviewer(users, rbac);
    const adminTokens = await TokenTable.open({ name: 'A', tokens: [{ token: 'break-glass' }] });
    const access = createApiAccess({ mode: 'kubernetes', reviewer, adminTokens, tenantKey: () => 'namespace' });
    expect(await principal(access, headers('break-glass'))).toEqual({ kind: 'admin' });
    expect(asked.tokens).toEqual([]);
  });
});

describe('cachedReviewer', () => {
  it('reuses answers (positive and negative) for the TTL, keyed by token and by user and attributes; failures are not kept', async () => {
    let clock = 0;
    const { reviewer, asked } = fakeReviewer({ t: { username: 'u', groups: [] } }, (_u, c) => c.namespace === 'a');
    let failNext = false;
    const flaky: KubeReviewer = {
      authenticate: (token) => (failNext ? Promise.reject(new KubeReviewUnavailableError('down')) : reviewer.authenticate(token)),
      authorize: (u, c) => reviewer.authorize(u, c),
    };
    const cached = cachedReviewer(flaky, { ttlMs: 1000, now: () => clock });
    const u: KubeUser = { username: 'u', groups: [] };
    const check = (namespace: string): ResourceCheck => ({ verb: 'list', group: 'g', resource: 'r', namespace });
    expect(await cached.authenticate('t')).toEqual(u);
    expect(await cached.authenticate('t')).toEqual(u);
    expect(await cached.authenticate('x')).toBeUndefined();
    expect(await cached.authenticate('x')).toBeUndefined();
    expect(asked.tokens).toEqual(['t', 'x']);
    expect(await cached.authorize(u, check('a'))).toBe(true);
    expect(await cached.authorize(u, check('a'))).toBe(true);
    expect(await cached.authorize(u, check('b'))).toBe(false);
    expect(await cached.authorize({ ...u, groups: ['g'] }, check('a'))).toBe(true);
    expect(asked.checks).toHaveLength(3);
    clock = 1001;
    failNext = true;
    await expect(cached.authenticate('t')).rejects.toThrow(KubeReviewUnavailableError);
    failNext = false;
    expect(await cached.authenticate('t')).toEqual(u);
    expect(asked.tokens).toEqual(['t', 'x', 't']);
  });
});
