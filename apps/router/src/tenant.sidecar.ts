import type { Metrics } from '@nm/telemetry';

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((u) => typeof u === 'string');

/**
 * Client of a notification-manager-compatible tenant sidecar:
 * `GET <url>/api/v2/tenant?cluster=&namespace=` → `["user1", ...]`. Answers are cached for
 * `ttlMs`; a failed lookup (including 404) yields `undefined` — the alert then reaches global
 * receivers only — is counted, and is retried after `failureTtlMs`.
 */
export class TenantSidecarClient {
  private readonly cache = new Map<string, { users: string[] | undefined; until: number }>();
  private readonly failures;

  constructor(
    private readonly baseUrl: string,
    metrics: Metrics,
    private readonly ttlMs = 60_000,
    private readonly failureTtlMs = 5_000,
    private readonly timeoutMs = 3_000,
  ) {
    this.failures = metrics.counter('nm_tenant_lookup_failures_total', 'Tenant sidecar lookups that failed (alert routed to global receivers only)', ['reason'] as const);
  }

  /** Resolves every (cluster, namespace) pair once, then answers synchronously. */
  async prefetch(pairs: Iterable<[string, string]>): Promise<(cluster: string, namespace: string) => string[] | undefined> {
    const now = Date.now();
    const wanted = new Map<string, [string, string]>();
    for (const [c, ns] of pairs) {
      const k = `${c}\u0000${ns}`;
      const hit = this.cache.get(k);
      if (!hit || hit.until <= now) wanted.set(k, [c, ns]);
    }
    await Promise.all(
      [...wanted].map(async ([k, [c, ns]]) => {
        const users = await this.fetchUsers(c, ns);
        this.cache.set(k, { users, until: Date.now() + (users ? this.ttlMs : this.failureTtlMs) });
      }),
    );
    return (c, ns) => this.cache.get(`${c}\u0000${ns}`)?.users;
  }

  private async fetchUsers(cluster: string, namespace: string): Promise<string[] | undefined> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v2/tenant?cluster=${encodeURIComponent(cluster)}&namespace=${encodeURIComponent(namespace)}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) {
        this.failures.inc({ reason: `http-${res.status}` });
        return undefined;
      }
      const body: unknown = await res.json();
      if (!isStringArray(body)) {
        this.failures.inc({ reason: 'bad-response' });
        return undefined;
      }
      return body;
    } catch {
      this.failures.inc({ reason: 'unreachable' });
      return undefined;
    }
  }
}

/** Port notification-manager's tenant sidecar listens on (its API is fixed at `:19094/api/v2/tenant`). */
export const TENANT_SIDECAR_PORT = 19094;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The tenant sidecar a NotificationManager declares: `spec.sidecars.tenant` (any non-null value)
 * turns the lookup on, as in notification-manager, at `http://localhost:<port>` where the port is
 * the container's port named `tenant`, else its first container port, else 19094. Undefined when
 * the object declares no tenant sidecar.
 */
export function tenantSidecarUrlOf(spec: { sidecars?: Record<string, unknown> | undefined } | undefined): string | undefined {
  const sidecar = spec?.sidecars?.['tenant'];
  if (sidecar === undefined || sidecar === null) return undefined;
  const ports = isRecord(sidecar) && Array.isArray(sidecar['ports']) ? sidecar['ports'].filter(isRecord) : [];
  const named = ports.find((p) => p['name'] === 'tenant') ?? ports[0];
  const port = typeof named?.['containerPort'] === 'number' && Number.isInteger(named['containerPort']) ? named['containerPort'] : TENANT_SIDECAR_PORT;
  return `http://localhost:${port}`;
}

/**
 * Picks the tenant sidecar client for the current configuration: `overrideUrl`
 * (`NM_TENANT_SIDECAR_URL`) always wins; otherwise the NotificationManager's `spec.sidecars.tenant`
 * decides (see `tenantSidecarUrlOf`). One client (and cache) per URL.
 */
export function tenantSidecarResolver(
  metrics: Metrics,
  overrideUrl?: string,
  makeClient: (url: string) => TenantSidecarClient = (url) => new TenantSidecarClient(url, metrics),
): (spec: { sidecars?: Record<string, unknown> | undefined } | undefined) => TenantSidecarClient | undefined {
  const clients = new Map<string, TenantSidecarClient>();
  return (spec) => {
    const url = overrideUrl ?? tenantSidecarUrlOf(spec);
    if (!url) return undefined;
    let client = clients.get(url);
    if (!client) clients.set(url, (client = makeClient(url)));
    return client;
  };
}
