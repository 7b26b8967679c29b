/** State shared by the fake's routes: issued tokens and rate windows. */
import { randomBytes } from 'node:crypto';
import { IncidentBook } from './incident.book.js';
import type { RateWindow, RouteName, Vendor, VendorFakeOptions } from './fake.types.js';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON unless it is a string (sent as text/plain). */
  body: unknown;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  rawBody: string;
  body: unknown;
  /** Path captures of the route (e.g. the Feishu hook id). */
  params: string[];
}

export interface RouteDef {
  name: RouteName;
  vendor: Vendor;
  method: 'GET' | 'POST';
  match(path: string): string[] | undefined;
  handle(req: FakeRequest, state: FakeState): Reply;
  /** The vendor's shape of an error reply. */
  errorReply(code: number | string, msg?: string): Reply;
  /** The vendor's shape of a 429. */
  rateLimitReply(retryAfterSec: number): Reply;
}

export type TokenCheck = 'ok' | 'missing' | 'invalid' | 'expired';

export class FakeState {
  private readonly tokens = new Map<string, { vendor: Vendor; expiresAt: number; expired: boolean }>();
  private readonly windows = new Map<string, number[]>();

  /** PagerDuty and Opsgenie incidents by dedup key / alias. */
  readonly incidents: IncidentBook;

  constructor(
    readonly opts: VendorFakeOptions,
    readonly now: () => number,
  ) {
    this.incidents = new IncidentBook(now);
  }

  issueToken(vendor: Vendor, ttlSec: number, prefix = ''): string {
    const token = `${prefix}${vendor}-${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, { vendor, expiresAt: this.now() + ttlSec * 1000, expired: false });
    return token;
  }

  checkToken(vendor: Vendor, token: string | undefined): TokenCheck {
    if (!token) return 'missing';
    const t = this.tokens.get(token);
    if (!t || t.vendor !== vendor) return 'invalid';
    if (t.expired || t.expiresAt <= this.now()) return 'expired';
    return 'ok';
  }

  expireTokens(vendor?: Vendor): void {
    for (const t of this.tokens.values()) if (!vendor || t.vendor === vendor) t.expired = true;
  }

  /** Counts a request against a sliding window; false when the window is full (request refused). */
  allow(key: string, window: RateWindow | false | undefined): boolean {
    if (!window) return true;
    const now = this.now();
    const stamps = (this.windows.get(key) ?? []).filter((t) => t > now - window.windowMs);
    this.windows.set(key, stamps);
    if (stamps.length >= window.limit) return false;
    stamps.push(now);
    return true;
  }

  reset(): void {
    this.incidents.reset();
    this.tokens.clear();
    this.windows.clear();
  }
}

export const json = (body: unknown, status = 200): Reply => ({ status, body });

export function exactPath(p: string): (path: string) => string[] | undefined {
  return (path) => (path === p || path === `${p}/` ? [] : undefined);
}

export function prefixPath(p: string): (path: string) => string[] | undefined {
  return (path) => (path.startsWith(p) && path.length > p.length ? [path.slice(p.length).replace(/\/+$/, '')] : undefined);
}

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export const randomId = (prefix: string): string => `${prefix}${randomBytes(8).toString('hex')}`;
