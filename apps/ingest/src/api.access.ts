import { DEFAULT_TENANT, GLOBAL_TENANT } from '@nm/contracts';
import { KubeReviewUnavailableError, type KubeReviewer, type KubeUser, type ResourceCheck } from './kube.review.js';
import { bearerToken, type TokenTable } from './token.source.js';

/** API group of the SubjectAccessReviews (notification-manager's). */
export const API_GROUP = 'notification.kubesphere.io';

/**
 * What each API needs, as a SubjectAccessReview asks it (group `notification.kubesphere.io`).
 * `tenant` scope: asked in the tenant's namespace (tenantKey `namespace`) or satisfied by being
 * the tenant (other tenantKeys: the user name); a cluster-wide grant covers every tenant.
 * `cluster` scope: asked without a namespace, so only a ClusterRoleBinding grants it.
 */
export const API_PERMISSIONS = {
  /** `GET /api/v2/history?tenant=` */
  history: { verb: 'list', resource: 'notificationhistories', scope: 'tenant' },
  /** `POST /api/v2/route`: cluster-wide, the whole report; per tenant, only that tenant's receivers. */
  receivers: { verb: 'get', resource: 'receivers', scope: 'tenant' },
  /** `GET /api/v2/dlq` */
  'dlq.list': { verb: 'list', resource: 'deadletters', scope: 'cluster' },
  /** `GET /api/v2/dlq/:seq` (with the dead-lettered payload) */
  'dlq.get': { verb: 'get', resource: 'deadletters', scope: 'cluster' },
  /** `POST /api/v2/dlq/:seq/replay` */
  'dlq.replay': { verb: 'create', resource: 'deadletters', subresource: 'replay', scope: 'cluster' },
  /** `POST /api/v2/verify`: per tenant of the Receiver in the body (a global one needs the cluster-wide grant). */
  verify: { verb: 'create', resource: 'receivers', subresource: 'verify', scope: 'tenant' },
  /** `POST /api/v2/notifications`: as verify. */
  notifications: { verb: 'create', resource: 'receivers', subresource: 'notifications', scope: 'tenant' },
} as const satisfies Record<string, { verb: string; resource: string; subresource?: string; scope: 'tenant' | 'cluster' }>;

export type ApiAction = keyof typeof API_PERMISSIONS | 'other';

/** Any other path (an endpoint not listed above): cluster-wide `<verb of the method> notificationmanagers/api`. */
export const OTHER_API = { resource: 'notificationmanagers', subresource: 'api' } as const;

const verbOfMethod = (method: string): string =>
  ({ GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' })[method.toUpperCase()] ?? method.toLowerCase();

/** Which action a request is (every path except the public ones and `POST /api/v2/alerts`). */
export function actionOf(method: string, path: string): ApiAction {
  const m = method.toUpperCase();
  const p = path.replace(/\/+$/, '');
  if (m === 'GET' && p === '/api/v2/history') return 'history';
  if (m === 'POST' && p === '/api/v2/route') return 'receivers';
  if (m === 'GET' && p === '/api/v2/dlq') return 'dlq.list';
  if (m === 'GET' && /^\/api\/v2\/dlq\/[^/]+$/.test(p)) return 'dlq.get';
  if (m === 'POST' && /^\/api\/v2\/dlq\/[^/]+\/replay$/.test(p)) return 'dlq.replay';
  if (m === 'POST' && p === '/api/v2/verify') return 'verify';
  if (m === 'POST' && p === '/api/v2/notifications') return 'notifications';
  return 'other';
}

/** The SubjectAccessReview attributes of an action, cluster-wide or for one namespace. */
export function checkOf(action: ApiAction, method: string, namespace?: string): ResourceCheck {
  const base =
    action === 'other'
      ? { verb: verbOfMethod(method), group: API_GROUP, resource: OTHER_API.resource, subresource: OTHER_API.subresource }
      : (() => {
          const p: { verb: string; resource: string; subresource?: string } = API_PERMISSIONS[action];
          return { verb: p.verb, group: API_GROUP, resource: p.resource, ...(p.subresource ? { subresource: p.subresource } : {}) };
        })();
  return namespace ? { ...base, namespace } : base;
}

/** Who is calling. */
export type Principal =
  /** `NM_API_AUTH=none`: nobody is asked. */
  | { kind: 'anonymous' }
  /** An `NM_ADMIN_TOKENS` token: everything. */
  | { kind: 'admin' }
  /** An `NM_TENANT_TOKENS` token: this tenant's history and receivers. */
  | { kind: 'tenant'; tenant: string }
  /** A Kubernetes token (TokenReview), authorised per request (SubjectAccessReview). */
  | { kind: 'kube'; user: KubeUser; impersonatedBy?: string };

export const describePrincipal = (p: Principal): string =>
  p.kind === 'kube'
    ? `user ${JSON.stringify(p.user.username)}${p.impersonatedBy ? ` (impersonated by ${JSON.stringify(p.impersonatedBy)})` : ''}`
    : p.kind === 'tenant'
      ? `tenant token of ${JSON.stringify(p.tenant)}`
      : p.kind === 'admin'
        ? 'admin token'
        : 'anonymous';

export type ApiAuthMode = 'none' | 'token' | 'kubernetes';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 400 | 401 | 403; message: string };

export interface ApiAccess {
  readonly mode: ApiAuthMode;
  /** Who sent the request. Throws KubeReviewUnavailableError when the API server cannot be asked. */
  authenticate(headers: Record<string, string[] | undefined>): Promise<AuthResult>;
  /** Whether `p` may do `action`: for one tenant, or (no tenant) for all of them. */
  allows(p: Principal, action: ApiAction, opts?: { tenant?: string; method?: string }): Promise<boolean>;
}

export interface ApiAccessOptions {
  mode: ApiAuthMode;
  adminTokens?: TokenTable;
  tenantTokens?: TokenTable;
  /** Kubernetes mode. */
  reviewer?: KubeReviewer;
  /** The current `tenantKey` (from the configuration): `namespace` makes tenant checks namespaced. */
  tenantKey: () => string;
}

const PSEUDO_TENANTS = new Set([GLOBAL_TENANT, DEFAULT_TENANT, '']);

/** What a tenant token may do, for its own tenant only. */
const TENANT_ACTIONS: ReadonlySet<ApiAction> = new Set<ApiAction>(['history', 'receivers', 'verify', 'notifications']);

/** Actions whose handler knows the tenant and decides (the guard only authenticates). */
export const TENANT_SCOPED_ACTIONS: ReadonlySet<ApiAction> = TENANT_ACTIONS;

/** Kubernetes impersonation (`Impersonate-User`, `-Group`, `-Uid`), authorised the way the API server does it. */
async function impersonate(
  reviewer: KubeReviewer,
  caller: KubeUser,
  headers: Record<string, string[] | undefined>,
): Promise<AuthResult | undefined> {
  const user = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  if (Object.keys(headers).some((h) => h.startsWith('impersonate-extra-')))
    return { ok: false, status: 400, message: 'Impersonate-Extra-* headers are not supported' };
  if (user === undefined) {
    if (groups.length > 0 || uid !== undefined) return { ok: false, status: 400, message: 'Impersonate-Group and Impersonate-Uid need Impersonate-User' };
    return undefined;
  }
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  const checks: ResourceCheck[] = [
    sa
      ? { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: sa[1]!, name: sa[2]! }
      : { verb: 'impersonate', group: '', resource: 'users', name: user },
    ...groups.map((g) => ({ verb: 'impersonate', group: '', resource: 'groups', name: g })),
    ...(uid !== undefined ? [{ verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids', name: uid }] : []),
  ];
  for (const c of checks) {
    if (!(await reviewer.authorize(caller, c)))
      return { ok: false, status: 403, message: `user ${JSON.stringify(caller.username)} may not impersonate ${c.resource} ${JSON.stringify(c.name)}` };
  }
  const impersonated: KubeUser = {
    username: user,
    groups: [...new Set([...groups, ...(user === 'system:anonymous' ? [] : ['system:authenticated'])])],
    ...(uid !== undefined ? { uid } : {}),
  };
  return { ok: true, principal: { kind: 'kube', user: impersonated, impersonatedBy: caller.username } };
}

/**
 * The API's authentication and authorization: static admin and tenant tokens in every mode, plus
 * Kubernetes tokens (TokenReview, SubjectAccessReview per `API_PERMISSIONS`) in `kubernetes` mode.
 */
export function createApiAccess(opts: ApiAccessOptions): ApiAccess {
  if (opts.mode === 'kubernetes' && !opts.reviewer) throw new Error('Kubernetes API authorization needs a reviewer');
  const hasImpersonation = (headers: Record<string, string[] | undefined>): boolean => Object.keys(headers).some((h) => h.startsWith('impersonate-'));
  return {
    mode: opts.mode,
    async authenticate(headers) {
      if (opts.mode === 'none') return { ok: true, principal: { kind: 'anonymous' } };
      const token = bearerToken(headers['authorization']?.[0]);
      if (token === undefined) return { ok: false, status: 401, message: 'this API needs an Authorization: Bearer token' };
      const staticPrincipal = ((): Principal | undefined => {
        if (opts.adminTokens?.match(token)) return { kind: 'admin' };
        const t = opts.tenantTokens?.match(token);
        return t?.tenant !== undefined ? { kind: 'tenant', tenant: t.tenant } : undefined;
      })();
      if (staticPrincipal) {
        if (hasImpersonation(headers)) return { ok: false, status: 403, message: 'impersonation needs a Kubernetes identity' };
        return { ok: true, principal: staticPrincipal };
      }
      if (opts.mode !== 'kubernetes' || !opts.reviewer) return { ok: false, status: 401, message: 'invalid bearer token' };
      const user = await opts.reviewer.authenticate(token);
      if (!user) return { ok: false, status: 401, message: 'invalid bearer token' };
      return (await impersonate(opts.reviewer, user, headers)) ?? { ok: true, principal: { kind: 'kube', user } };
    },
    async allows(p, action, o = {}) {
      switch (p.kind) {
        case 'anonymous':
        case 'admin':
          return true;
        case 'tenant':
          return TENANT_ACTIONS.has(action) && o.tenant !== undefined && o.tenant === p.tenant;
        case 'kube': {
          if (!opts.reviewer) return false;
          const method = o.method ?? 'GET';
          const scope = action === 'other' ? 'cluster' : API_PERMISSIONS[action].scope;
          if (scope === 'cluster' || o.tenant === undefined || PSEUDO_TENANTS.has(o.tenant)) return opts.reviewer.authorize(p.user, checkOf(action, method));
          if (opts.tenantKey() === 'namespace') return opts.reviewer.authorize(p.user, checkOf(action, method, o.tenant));
          // tenants are users (tenantKey user, or another label): a user is its own tenant
          return p.user.username === o.tenant || opts.reviewer.authorize(p.user, checkOf(action, method));
        }
      }
    },
  };
}

export { KubeReviewUnavailableError };
