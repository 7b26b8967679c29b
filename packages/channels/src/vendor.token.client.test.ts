import { describe, expect, it } from '@jest/globals';
import { PermanentError, RetryableError } from '@nm/errors';
import type { HttpClient } from './http.client.js';
import { MemoryTokenCache } from './token.cache.js';
import { VendorTokenClient, parseErrcodeReply, withAccessTokenQuery, type TokenApi } from './vendor.token.client.js';

interface Reply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  id?: string;
}

/** An HTTP client answering from `answer(path, token)`, recording each request's path. */
function vendor(answer: (path: string, token: string | null) => { status?: number; body: unknown }): { http: HttpClient; paths: string[] } {
  const paths: string[] = [];
  const http: HttpClient = {
    request: (config) => {
      const url = new URL(config.url);
      paths.push(url.pathname);
      const { status = 200, body } = answer(url.pathname, url.searchParams.get('access_token'));
      return Promise.resolve({ data: JSON.stringify(body), status, headers: {} });
    },
  };
  return { http, paths };
}

const api: TokenApi<Reply> = {
  vendor: 'wechat',
  tokenCall: 'gettoken',
  tokenRequest: (app) => ({ method: 'GET', url: `${app.baseUrl}gettoken?corpid=${app.id}` }),
  tokenOf: (b) => (b.access_token ? { token: b.access_token, expiresInSec: b.expires_in ?? 7200 } : undefined),
  authorize: withAccessTokenQuery,
  parse: (reply) => parseErrcodeReply<Reply>('wechat', reply),
};

const app = { baseUrl: 'http://vendor.test/', id: 'corp', secret: 's3cret' };
const send = { method: 'POST' as const, url: 'http://vendor.test/send', body: { text: 'x' } };

describe('VendorTokenClient', () => {
  it('fetches one token for concurrent calls and sends it with each', async () => {
    const seen: (string | null)[] = [];
    const { http, paths } = vendor((path, token) => {
      if (path === '/gettoken') return { body: { errcode: 0, access_token: 'tok-1', expires_in: 7200 } };
      seen.push(token);
      return { body: { errcode: 0, id: 'm1' } };
    });
    const client = new VendorTokenClient(http, new MemoryTokenCache(), api);
    const replies = await Promise.all([client.call(app, send), client.call(app, send)]);
    expect(replies.map((r) => r.id)).toEqual(['m1', 'm1']);
    expect(paths.filter((p) => p === '/gettoken')).toHaveLength(1);
    expect(seen).toEqual(['tok-1', 'tok-1']);
  });

  it('refreshes an expired token once, then reports the vendor code', async () => {
    let issued = 0;
    const { http, paths } = vendor((path, token) => {
      if (path === '/gettoken') return { body: { errcode: 0, access_token: `tok-${++issued}` } };
      return { body: token === 'tok-1' ? { errcode: 42001, errmsg: 'access_token expired' } : { errcode: 0 } };
    });
    const client = new VendorTokenClient(http, new MemoryTokenCache(), api);
    await client.call(app, send);
    expect(paths).toEqual(['/gettoken', '/send', '/gettoken', '/send']);

    const stuck = new VendorTokenClient(vendor((path) => (path === '/gettoken' ? { body: { errcode: 0, access_token: 't' } } : { body: { errcode: 42001 } })).http, new MemoryTokenCache(), api);
    const err = await stuck.call(app, send).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('wechat:42001');
  });

  it('classifies a refused token request and a non-JSON reply', async () => {
    const refused = new VendorTokenClient(vendor(() => ({ body: { errcode: 40001, errmsg: 'invalid secret' } })).http, new MemoryTokenCache(), api);
    const err = await refused.call(app, send).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'wechat:40001', message: 'wechat error 40001: gettoken: invalid secret' });
    expect(JSON.stringify(err)).not.toContain('s3cret');

    const broken = new VendorTokenClient(vendor(() => ({ status: 200, body: 'not json' })).http, new MemoryTokenCache(), api);
    expect(await broken.call(app, send).catch((e: unknown) => e)).toMatchObject({ code: 'wechat:http-502' });
  });
});
