import { createHash } from 'node:crypto';
import type * as KubeModuleNs from '@nm/kube';

type KubeModule = typeof KubeModuleNs;

/** Who a Kubernetes bearer token stands for (TokenReview's `status.user`). */
export interface KubeUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The resource attributes of a SubjectAccessReview. */
export interface ResourceCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Asks the Kubernetes API server who a token is and what that user may do. */
export interface KubeReviewer {
  /** The user of a token, or undefined when the API server does not authenticate it. Throws KubeReviewUnavailableError. */
  authenticate(token: string): Promise<KubeUser | undefined>;
  /** Whether `user` may do `check` (SubjectAccessReview). Throws KubeReviewUnavailableError. */
  authorize(user: KubeUser, check: ResourceCheck): Promise<boolean>;
}

/** The API server could not be asked (unreachable, or it refused the review itself). */
export class KubeReviewUnavailableError extends Error {}

export interface KubeReviewerOptions {
  /** A kubeconfig file; default `KUBECONFIG`, else the in-cluster service account. */
  kubeconfig?: string;
  /** Audiences a token must have been issued for (TokenReview `spec.audiences`); default the API server's. */
  audiences?: readonly string[];
  /** How long one review may take before it counts as unavailable, ms (default 10 s). */
  timeoutMs?: number;
}

/** `p`, or a KubeReviewUnavailableError after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubeReviewUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One line for a failed review: the status and the API server's message, never the request. */
function unavailable(what: string, err: unknown, kube: KubeModule): KubeReviewUnavailableError {
  const status = kube.statusOf(err);
  const hint = status === 401 || status === 403 ? ' (ingest needs create on tokenreviews and subjectaccessreviews: ClusterRole system:auth-delegator)' : '';
  return new KubeReviewUnavailableError(`${what} failed: ${kube.describeError(err)}${hint}`);
}

/** A reviewer over `@kubernetes/client-node` (loaded only when Kubernetes authorization is on). */
export async function createKubeReviewer(opts: KubeReviewerOptions = {}): Promise<KubeReviewer> {
  // one after the other: they share modules (and jest's ESM loader trips over concurrent imports of them)
  const kube = await import('@nm/kube');
  const k8s = await import('@kubernetes/client-node');
  let kc: InstanceType<typeof k8s.KubeConfig>;
  if (opts.kubeconfig) {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(opts.kubeconfig);
  } else kc = kube.loadKubeConfig();
  const authn = kc.makeApiClient(k8s.AuthenticationV1Api);
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const audiences = opts.audiences && opts.audiences.length > 0 ? [...opts.audiences] : undefined;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async authenticate(token) {
      let review;
      try {
        review = await within(
          authn.createTokenReview({
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } },
          }),
          timeoutMs,
          'TokenReview',
        );
      } catch (err) {
        if (err instanceof KubeReviewUnavailableError) throw err;
        throw unavailable('TokenReview', err, kube);
      }
      const s = review.status;
      if (!s?.authenticated || !s.user?.username) return undefined;
      // the API server refuses other audiences already; a second look costs nothing
      if (audiences && !(s.audiences ?? []).some((a) => audiences.includes(a))) return undefined;
      return {
        username: s.user.username,
        ...(s.user.uid ? { uid: s.user.uid } : {}),
        groups: s.user.groups ?? [],
        ...(s.user.extra ? { extra: s.user.extra } : {}),
      };
    },
    async authorize(user, check) {
      let review;
      try {
        review = await within(authz.createSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              groups: user.groups,
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
              resourceAttributes: {
                verb: check.verb,
                group: check.group,
                resource: check.resource,
                ...(check.subresource ? { subresource: check.subresource } : {}),
                ...(check.namespace ? { namespace: check.namespace } : {}),
                ...(check.name ? { name: check.name } : {}),
              },
            },
          },
        }), timeoutMs, 'SubjectAccessReview');
      } catch (err) {
        if (err instanceof KubeReviewUnavailableError) throw err;
        throw unavailable('SubjectAccessReview', err, kube);
      }
      return review.status?.allowed === true && review.status.denied !== true;
    },
  };
}

export interface ReviewCacheOptions {
  /** How long an answer is reused, ms (`NM_API_AUTH_CACHE_TTL`, default 10 s; 0 = never). */
  ttlMs: number;
  /** Entries kept per kind (oldest dropped first). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Reuses TokenReview and SubjectAccessReview answers (positive and negative) for `ttlMs`, so a
 * burst of requests costs the API server one review. Tokens are keyed by their SHA-256. Failures
 * are not cached.
 */
export function cachedReviewer(inner: KubeReviewer, opts: ReviewCacheOptions): KubeReviewer {
  if (opts.ttlMs <= 0) return inner;
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 10_000;
  const users = new Map<string, { until: number; value: Promise<KubeUser | undefined> }>();
  const grants = new Map<string, { until: number; value: Promise<boolean> }>();
  const remember = <V>(map: Map<string, { until: number; value: Promise<V> }>, key: string, load: () => Promise<V>): Promise<V> => {
    const hit = map.get(key);
    if (hit && hit.until > now()) return hit.value;
    if (hit) map.delete(key);
    const value = load();
    map.set(key, { until: now() + opts.ttlMs, value });
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key);
    });
    while (map.size > max) map.delete(map.keys().next().value!);
    return value;
  };
  return {
    authenticate: (token) => remember(users, createHash('sha256').update(token).digest('hex'), () => inner.authenticate(token)),
    authorize: (user, check) =>
      remember(grants, JSON.stringify([user.username, user.uid ?? '', user.groups, user.extra ?? {}, check]), () => inner.authorize(user, check)),
  };
}
