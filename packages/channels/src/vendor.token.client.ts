/**
 * The one client of vendor APIs that authenticate with an app access token (WeCom, DingTalk,
 * Feishu, and every channel that works the same way): fetches the token, caches it for its
 * lifetime (in Redis in production, so replicas share it and only one of them fetches at a time),
 * sends the call with it, and when the vendor answers that the token expired or is invalid, drops
 * exactly that token, fetches a fresh one and calls once more. A reply whose result code is not 0
 * becomes the vendor's classified error. What differs between vendors is a {@link TokenApi}.
 */
import { TOKEN_EXPIRED_CODES, classifyHttpError, classifyVendorError } from './channel.errors.js';
import { apiUrl } from './channel.urls.js';
import { excerpt, httpRequest, type HttpClient, type HttpReply, type HttpRequest } from './http.client.js';
import { withTokenRefresh, type FetchedToken, type TokenCache } from './token.cache.js';

export type TokenVendor = keyof typeof TOKEN_EXPIRED_CODES;

/** One app's credentials at one API base URL (WeCom: corp id and secret; DingTalk: app key and secret; Feishu: app id and secret). */
export interface AppCredentials {
  baseUrl: string;
  id: string;
  secret: string;
}

/** A vendor reply: its result code (0 is success), its message and the whole body. */
export interface VendorReply<B> {
  code: number | string;
  message: string;
  body: B;
}

/** What one vendor does its own way. */
export interface TokenApi<B> {
  readonly vendor: TokenVendor;
  /** The token call's name in error messages (`gettoken`). */
  readonly tokenCall: string;
  /** The request that fetches a token for `app`. */
  readonly tokenRequest: (app: AppCredentials) => HttpRequest;
  /** The token and its lifetime in a successful token reply. */
  readonly tokenOf: (body: B) => FetchedToken | undefined;
  /** `req` carrying `token`. */
  readonly authorize: (req: HttpRequest, token: string) => HttpRequest;
  /** Reads a reply; throws a classified error when it is not the vendor's JSON. */
  readonly parse: (reply: HttpReply) => VendorReply<B>;
}

/** Replies of vendors that answer `{errcode, errmsg}` (WeCom, DingTalk). */
export interface ErrcodeReply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
}

/** The body of a successful reply; a non-zero result code is the vendor's classified error. */
export function vendorResult<B>(vendor: TokenVendor, reply: VendorReply<B>, context = ''): B {
  if (String(reply.code) !== '0') throw classifyVendorError(vendor, reply.code, context + reply.message);
  return reply.body;
}

/** `{errcode, errmsg}` replies (WeCom, DingTalk): anything but a JSON object under HTTP 200 is an HTTP failure. */
export function parseErrcodeReply<B extends ErrcodeReply>(vendor: TokenVendor, reply: HttpReply): VendorReply<B> {
  if (reply.status !== 200 || typeof reply.json !== 'object' || reply.json === null) {
    throw classifyHttpError({ status: reply.status === 200 ? 502 : reply.status, headers: reply.headers, detail: excerpt(reply.text) }, vendor);
  }
  const body = reply.json as B;
  return { code: body.errcode ?? 'unknown', message: body.errmsg ?? '', body };
}

/** The token as the `access_token` query parameter (WeCom, DingTalk). */
export function withAccessTokenQuery(req: HttpRequest, token: string): HttpRequest {
  return { ...req, url: `${req.url}${req.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` };
}

/**
 * The token API of `{errcode, errmsg}` vendors (WeCom, DingTalk): `GET <base>gettoken?<query>`
 * answers `access_token` and `expires_in`; calls carry the token as the `access_token` parameter.
 */
export function gettokenApi<B extends ErrcodeReply>(vendor: TokenVendor, query: (app: AppCredentials) => Record<string, string>): TokenApi<B> {
  return {
    vendor,
    tokenCall: 'gettoken',
    tokenRequest: (app) => ({ method: 'GET', url: `${apiUrl(app.baseUrl, 'gettoken')}?${new URLSearchParams(query(app)).toString()}` }),
    tokenOf: (b) => (b.access_token ? { token: b.access_token, expiresInSec: b.expires_in ?? 7200 } : undefined),
    authorize: withAccessTokenQuery,
    parse: (reply) => parseErrcodeReply<B>(vendor, reply),
  };
}

/** The signal and timeout of one vendor call. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export class VendorTokenClient<B> {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenCache,
    private readonly api: TokenApi<B>,
  ) {}

  /** Sends `req` with `app`'s token (refreshed once if the vendor says it expired); resolves with the body of a successful reply. */
  async call(app: AppCredentials, request: HttpRequest, opts: CallOptions = {}): Promise<B> {
    const req: HttpRequest = { ...request, ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs: opts.timeoutMs };
    const { vendor } = this.api;
    const expired = TOKEN_EXPIRED_CODES[vendor];
    const reply = await withTokenRefresh(
      this.tokens,
      // hashed before it is stored: it holds the secret
      `${vendor}|${app.baseUrl}|${app.id}|${app.secret}`,
      () => this.fetchToken(app, req),
      (token) => this.request(this.api.authorize(req, token)),
      (r) => expired.has(String(r.code)),
    );
    return vendorResult(vendor, reply);
  }

  private async request(req: HttpRequest): Promise<VendorReply<B>> {
    return this.api.parse(await httpRequest(this.http, req, this.api.vendor));
  }

  /** Fetches a token with the signal and timeout of the call that needs it. */
  private async fetchToken(app: AppCredentials, call: HttpRequest): Promise<FetchedToken> {
    const reply = await this.request({ ...this.api.tokenRequest(app), ...(call.signal ? { signal: call.signal } : {}), timeoutMs: call.timeoutMs });
    const token = this.api.tokenOf(vendorResult(this.api.vendor, reply, `${this.api.tokenCall}: `));
    if (!token) throw classifyVendorError(this.api.vendor, reply.code, `${this.api.tokenCall}: ${reply.message}`);
    return token;
  }
}
