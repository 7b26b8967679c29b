import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentError, RetryableError } from '@nm/errors';
import { EgressGuard, type EgressResolver } from './egress.js';
import { createHttpClient, envProxyFor, httpRequest, proxiesFromEnv } from './http.client.js';

/** A loopback server: `/slow` never answers, `/chunked` streams 64 KiB without a length, `/echo` answers what it got. */
let server: Server;
let base: string;
const connections: number[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/slow') return; // holds the request open
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 64; i++) res.write('x'.repeat(1024));
        res.end();
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  server.on('connection', () => connections.push(Date.now()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('createHttpClient', () => {
  it('sends the body byte for byte with its length, and answers any status with text, headers and JSON', async () => {
    const http = createHttpClient();
    const body = { text: 'grüße — ✓', n: 1 };
    const reply = await httpRequest(http, { method: 'POST', url: `${base}/echo?a=1`, body, headers: { 'X-Extra': 'yes' } }, 'slack');
    expect(reply.status).toBe(201);
    expect(reply.headers['x-twice']).toBe('a, b');
    const got = reply.json as { method: string; url: string; headers: IncomingHttpHeaders; body: string };
    expect(got).toMatchObject({ method: 'POST', url: '/echo?a=1', body: JSON.stringify(body) });
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(body), 'utf8')));
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['x-extra']).toBe('yes');
    expect(got.headers['user-agent']).toBe('notification-manager');
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const http = createHttpClient();
    const before = connections.length;
    for (let i = 0; i < 5; i++) expect((await httpRequest(http, { method: 'GET', url: `${base}/echo` }, 'slack')).status).toBe(201);
    expect(connections.length - before).toBe(1);
  });

  it('gives up on a server that does not answer within the timeout, as a retryable network failure', async () => {
    const http = createHttpClient({ timeoutMs: 5_000 });
    const t0 = Date.now();
    const err = await httpRequest(http, { method: 'POST', url: `${base}/slow`, body: {}, timeoutMs: 150 }, 'slack').catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ code: 'slack:network-ETIMEDOUT' });
  });

  it('stops when the signal aborts, before or during the request', async () => {
    const http = createHttpClient();
    const during = new AbortController();
    setTimeout(() => during.abort(), 100);
    await expect(httpRequest(http, { method: 'POST', url: `${base}/slow`, body: {}, signal: during.signal }, 'slack')).rejects.toMatchObject({ code: 'slack:network-ERR_CANCELED' });
    await expect(httpRequest(http, { method: 'GET', url: `${base}/echo`, signal: AbortSignal.abort() }, 'slack')).rejects.toMatchObject({ code: 'slack:network-ERR_CANCELED' });
  });

  it('stops reading a streamed answer without a length once it passes the limit', async () => {
    const http = createHttpClient({ maxResponseBytes: 16 * 1024 });
    const err = await httpRequest(http, { method: 'GET', url: `${base}/chunked` }, 'slack').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'slack:response-too-large' });
    const roomy = createHttpClient({ maxResponseBytes: 128 * 1024 });
    expect((await httpRequest(roomy, { method: 'GET', url: `${base}/chunked` }, 'slack')).text).toHaveLength(64 * 1024);
  });

  it('refuses a URL it cannot send to, permanently and without the URL in the message', async () => {
    const http = createHttpClient();
    const bad = await httpRequest(http, { method: 'GET', url: 'not a url ?token=secret' }, 'slack').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PermanentError);
    expect((bad as Error).message).not.toContain('secret');
    await expect(httpRequest(http, { method: 'GET', url: 'ftp://127.0.0.1/x' }, 'slack')).rejects.toBeInstanceOf(PermanentError);
  });
});

describe('the operator\'s proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY)', () => {
  it('reads either spelling, refuses a value that is not a proxy URL naming the variable, and honours NO_PROXY', () => {
    const p = proxiesFromEnv({ http_proxy: 'http://u:p%40ss@proxy.test:3128', HTTPS_PROXY: 'proxy.test:8443', NO_PROXY: 'localhost, .internal.test,api.example.test:8443' });
    expect(p.http).toEqual({ protocol: 'http', host: 'proxy.test', port: 3128, auth: { username: 'u', password: 'p@ss' } });
    expect(p.https).toMatchObject({ host: 'proxy.test', port: 8443 });
    expect(envProxyFor(new URL('http://hooks.example.test/x'), p)).toBe(p.http);
    expect(envProxyFor(new URL('https://hooks.example.test/x'), p)).toBe(p.https);
    expect(envProxyFor(new URL('http://localhost:9/x'), p)).toBeUndefined();
    expect(envProxyFor(new URL('http://a.internal.test/x'), p)).toBeUndefined();
    expect(envProxyFor(new URL('https://api.example.test:8443/x'), p)).toBeUndefined();
    expect(envProxyFor(new URL('https://api.example.test/x'), p)).toBe(p.https);
    expect(envProxyFor(new URL('http://x.test/'), proxiesFromEnv({ HTTP_PROXY: 'http://proxy.test:1', NO_PROXY: '*' }))).toBeUndefined();
    expect(envProxyFor(new URL('http://x.test/'), proxiesFromEnv({}))).toBeUndefined();
    // IP ranges, as Kubernetes installs set them for their pod and service networks (here within loopback)
    const k8s = proxiesFromEnv({ HTTP_PROXY: 'http://proxy.test:3128', NO_PROXY: '127.0.0.0/16,::/127,.svc' });
    expect(k8s.noProxy).toEqual(['.svc']);
    expect(envProxyFor(new URL('http://127.0.96.10:8080/x'), k8s)).toBeUndefined();
    expect(envProxyFor(new URL('http://127.1.0.1/x'), k8s)).toBe(k8s.http);
    expect(envProxyFor(new URL('http://[::1]/x'), k8s)).toBeUndefined();
    const v6 = proxiesFromEnv({ HTTP_PROXY: 'http://proxy.test:3128', NO_PROXY: '::2/127' });
    expect(envProxyFor(new URL('http://[::1]/x'), v6)).toBe(v6.http);
    expect(envProxyFor(new URL('http://hook.ns.svc/x'), k8s)).toBeUndefined();
    expect(() => proxiesFromEnv({ HTTPS_PROXY: 'socks5://proxy.test:1080' })).toThrow(/^HTTPS_PROXY: "socks5:\/\/proxy.test:1080" is not an http:\/\/ or https:\/\/ proxy URL$/);
  });

  it('sends an http request through HTTP_PROXY in absolute form, and a request with its own proxy setting past it', async () => {
    const lookups: string[] = [];
    const resolver: EgressResolver = (host) => {
      lookups.push(host);
      return Promise.reject(Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' }));
    };
    const http = createHttpClient({ egressGuard: new EgressGuard({ resolver }), proxyEnv: { HTTP_PROXY: `${base}`, NO_PROXY: '' } });
    // the loopback server answers as the proxy would: it sees the whole target URL
    const reply = await httpRequest(http, { method: 'POST', url: 'http://hooks.example.invalid/alerts?x=1', body: { a: 1 } }, 'slack');
    expect(reply.json).toMatchObject({ url: 'http://hooks.example.invalid/alerts?x=1', headers: { host: 'hooks.example.invalid' } });
    expect(lookups).toEqual(['hooks.example.invalid']); // checked by this host's guard first
    // an explicit `proxy: false` (a webhook without proxyUrl) goes direct
    const direct = await http.request({ method: 'GET', url: `${base}/echo`, proxy: false });
    expect(JSON.parse(direct.data as string)).toMatchObject({ url: '/echo' });
  });

  it('refuses, before any connection, a proxied target this host sees is denied', async () => {
    const resolver: EgressResolver = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
    const before = connections.length;
    const http = createHttpClient({ egressGuard: new EgressGuard({ resolver }), proxyEnv: { HTTP_PROXY: base } });
    const err = await httpRequest(http, { method: 'GET', url: 'http://metadata.example.invalid/latest' }, 'slack').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('egress denied: metadata.example.invalid resolves to 169.254.169.254:80');
    expect(connections.length).toBe(before);
  });
});
