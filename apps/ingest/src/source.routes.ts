import type { Express, RequestHandler, Response } from 'express';
import type { ConfigSnapshot } from '@nm/model';
import type { Metrics } from '@nm/telemetry';
import type { IngestLimits } from './alert.normalize.js';
import type { BatchAcceptor } from './batch.accept.js';

/** What the routes of the other sources (audit events, CloudEvents) share with `POST /api/v2/alerts`. */
export interface SourceRouteDeps {
  /** Stores and answers a validated request exactly as `POST /api/v2/alerts` does. */
  acceptor: BatchAcceptor;
  /** The raw body parser (size limit included). */
  raw: RequestHandler;
  snapshot: () => ConfigSnapshot;
  limits: IngestLimits;
  now: () => Date;
  metrics: Metrics;
  reply: (res: Response, status: number, message: string) => void;
}

export type RegisterSourceRoutes = (app: Express, deps: SourceRouteDeps) => void;
