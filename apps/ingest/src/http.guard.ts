import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger, Metrics } from '@nm/telemetry';
import { actionOf, describePrincipal, KubeReviewUnavailableError, TENANT_SCOPED_ACTIONS, type ApiAccess, type ApiAction, type Principal } from './api.access.js';
import { bearerToken, type TokenTable } from './token.source.js';

/** Which routes a listener serves: everything (one port), only ingest, or only the admin and read API. */
export type Surface = 'all' | 'ingest' | 'admin';

/** Paths served to anyone: probes and metrics. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/-/healthy', '/-/live', '/-/ready', '/metrics']);
export const INGEST_PATH = '/api/v2/alerts';
/**
 * Every route that takes events in (the data plane): a POST to one of them needs an ingest token
 * (`NM_INGEST_TOKENS`) and is served on the ingest port; every other path is the admin and read API.
 */
export const INGEST_PATHS: ReadonlySet<string> = new Set([INGEST_PATH, '/api/v2/audit', '/api/v2/cloudevents']);

export interface GuardDeps {
  surface: Surface;
  /** Tokens `POST /api/v2/alerts` requires (`NM_INGEST_TOKENS[_FILE]`); absent = open. */
  ingestTokens?: TokenTable;
  /** Authentication and authorization of every other route; absent = open. */
  access?: ApiAccess;
  metrics: Metrics;
  logger: Logger;
  reply: (res: Response, status: number, message: string) => void;
}

const PRINCIPAL = 'nmPrincipal';

/** A path as express matches routes (case-insensitive, trailing slashes ignored). */
export const normalizedPath = (path: string): string => path.toLowerCase().replace(/\/+$/, '') || '/';

/** The caller of an API request, as the guard authenticated it (anonymous when the API is open). */
export function principalOf(res: Response): Principal {
  return (res.locals[PRINCIPAL] as Principal | undefined) ?? { kind: 'anonymous' };
}

export interface Guard {
  /** The first middleware of the app. */
  middleware: RequestHandler;
  /**
   * Whether the caller may do `action` for `tenant` (or, without one, for every tenant). Answers
   * 403 itself when it may not and `respond` (default true); answers 503 itself (and returns false)
   * when the Kubernetes API server cannot be asked.
   */
  allows(req: Request, res: Response, action: ApiAction, tenant?: string, respond?: boolean): Promise<boolean>;
}

export function createGuard(deps: GuardDeps): Guard {
  const denied = deps.metrics.counter(
    'nm_api_requests_denied_total',
    'Requests refused by authentication or authorization, by listener surface (ingest: POSTs of alerts and events; api: the rest) and reason (unauthenticated, forbidden, unavailable: the Kubernetes API could not be asked)',
    ['surface', 'reason'] as const,
  );
  const refuse = (res: Response, surface: 'ingest' | 'api', status: number, message: string): void => {
    const reason = status === 401 || status === 400 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'unavailable';
    denied.inc({ surface, reason });
    if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="notification-manager"');
    if (status === 503) res.set('Retry-After', '5');
    deps.reply(res, status, message);
  };
  const unavailable = (req: Request, res: Response, err: unknown): void => {
    deps.logger.warn({ err: (err as Error).message, path: req.path }, 'authorization unavailable, answered 503');
    refuse(res, 'api', 503, 'authorization unavailable (the Kubernetes API server could not be asked), retry later');
  };

  const allows = async (req: Request, res: Response, action: ApiAction, tenant?: string, respond = true): Promise<boolean> => {
    if (!deps.access) return true;
    const p = principalOf(res);
    try {
      if (await deps.access.allows(p, action, { ...(tenant !== undefined ? { tenant } : {}), method: req.method })) return true;
    } catch (err) {
      if (!(err instanceof KubeReviewUnavailableError)) throw err;
      unavailable(req, res, err);
      return false;
    }
    if (respond) {
      deps.logger.info({ path: req.path, method: req.method, who: describePrincipal(p), tenant }, 'API request forbidden');
      refuse(res, 'api', 403, `forbidden: ${describePrincipal(p)} may not ${req.method} ${req.path}${tenant !== undefined ? ` for tenant ${JSON.stringify(tenant)}` : ''}`);
    }
    return false;
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const run = async (): Promise<void> => {
      // as express routes: without case and trailing slashes
      const path = normalizedPath(req.path);
      if (PUBLIC_PATHS.has(path)) return next();
      if (INGEST_PATHS.has(path) && req.method === 'POST') {
        if (deps.surface === 'admin') return deps.reply(res, 404, `${req.path} is served on the ingest port, not the admin port`);
        if (deps.ingestTokens) {
          const token = bearerToken(req.get('authorization'));
          if (token === undefined) return refuse(res, 'ingest', 401, `POST ${req.path} needs an Authorization: Bearer token (NM_INGEST_TOKENS)`);
          if (!deps.ingestTokens.match(token)) return refuse(res, 'ingest', 401, 'invalid bearer token');
        }
        return next();
      }
      if (deps.surface === 'ingest') return deps.reply(res, 404, `no route for ${req.method} ${req.path} on the ingest port (the API is served on NM_ADMIN_PORT)`);
      if (!deps.access) return next();
      let auth;
      try {
        auth = await deps.access.authenticate(req.headersDistinct);
      } catch (err) {
        if (err instanceof KubeReviewUnavailableError) return unavailable(req, res, err);
        throw err;
      }
      if (!auth.ok) return refuse(res, 'api', auth.status, auth.message);
      res.locals[PRINCIPAL] = auth.principal;
      const action = actionOf(req.method, path);
      // tenant-scoped actions are decided by their handler, which knows the tenant
      if (TENANT_SCOPED_ACTIONS.has(action)) return next();
      if (await allows(req, res, action)) return next();
    };
    run().catch(next);
  };
  return { middleware, allows };
}
