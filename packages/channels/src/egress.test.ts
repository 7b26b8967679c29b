/**
 * The egress guard. Every socket these tests open goes to a loopback server they started; the
 * refused addresses (metadata, link-local, rebinding targets) only ever reach an injected
 * resolver and a recording connector, which is asserted never to be asked for them.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTestPki, type TestPki } from '@nm/testing';
import { PermanentError } from '@nm/errors';
import { EmailSender } from './email.sender.js';
import {
  BUILT_IN_EGRESS_DENY,
  EGRESS_DENIED_CODE,
  EgressDeniedError,
  EgressGuard,
  egressGuardFromEnv,
  parseCidrList,
  type EgressConnector,
  type EgressResolver,
} from './egress.js';
import { createHttpClient, httpRequest } from './http.client.js';
import { RecordingClock, textMessage } from './test-support/fixtures.js';
import { WebhookSender } from './webhook.sender.js';

/** Connects only to loopback; records every address it was asked for. */
function recordingConnector(): { connector: EgressConnector; asked: string[] } {
  const asked: string[] = [];
  const connector: EgressConnector = ({ host, port }) => {
    asked.push(`${host}:${port}`);
    if (!/^127\./.test(host) && host !== '::1') throw new Error(`test connector refuses non-loopback ${host}`);
    return netConnect({ host, port });
  };
  return { connector, asked };
}

/** A resolver answering from a script: each lookup of a name takes the next answer (the last repeats). */
function scriptedResolver(script: Record<string, string[]>): { resolver: EgressResolver; lookups: string[] } {
  const lookups: string[] = [];
  const resolver: EgressResolver = (name) => {
    lookups.push(name);
    const answers = script[name];
    if (!answers) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    const i = lookups.filter((n) => n === name).length - 1;
    const address = answers[Math.min(i, answers.length - 1)] as string;
    return Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
  };
  return { resolver, lookups };
}

async function listen(server: Server | HttpsServer, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function close(server: Server | HttpsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('EgressGuard lists', () => {
  const guard = new EgressGuard();

  it('denies link-local and cloud-metadata addresses by default, in both families and mapped forms', () => {
    for (const a of ['169.254.169.254', '169.254.1.1', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0.0.0.0', '::']) {
      expect([a, guard.verdict(a)]).toEqual([a, expect.stringContaining('built-in deny')]);
    }
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.10', '2001:db8::1', '100.100.100.201']) {
      expect([a, guard.verdict(a)]).toEqual([a, undefined]);
    }
    expect(BUILT_IN_EGRESS_DENY).toEqual(expect.arrayContaining(['169.254.0.0/16', 'fe80::/10']));
  });

  it('adds NM_EGRESS_DENY ranges and lets NM_EGRESS_ALLOW override any deny', () => {
    const g = egressGuardFromEnv({ NM_EGRESS_DENY: '127.0.0.0/8, ::1/128 10.0.0.0/8', NM_EGRESS_ALLOW: '127.0.0.5,169.254.10.0/24' });
    expect(g.verdict('127.0.0.2')).toBe('NM_EGRESS_DENY 127.0.0.0/8');
    expect(g.verdict('::1')).toBe('NM_EGRESS_DENY ::1/128');
    expect(g.verdict('::ffff:10.1.2.3')).toBe('NM_EGRESS_DENY 10.0.0.0/8');
    expect(g.verdict('127.0.0.5')).toBeUndefined();
    expect(g.verdict('169.254.10.9')).toBeUndefined();
    expect(g.verdict('169.254.169.254')).toContain('built-in deny');
  });

  it('names the variable and the entry of a bad list', () => {
    expect(() => parseCidrList('10.0.0.0/8,nonsense', 'NM_EGRESS_DENY')).toThrow('NM_EGRESS_DENY: "nonsense" is not an IPv4 or IPv6 address or CIDR');
    expect(() => parseCidrList('10.0.0.0/33', 'NM_EGRESS_ALLOW')).toThrow('NM_EGRESS_ALLOW: "10.0.0.0/33" has an invalid prefix length (0 to 32)');
    expect(() => egressGuardFromEnv({ NM_EGRESS_DENY: 'fe80::/129' })).toThrow('NM_EGRESS_DENY');
    expect(parseCidrList(' 10.0.0.1 , fd00::/8 ', 'x')).toEqual(['10.0.0.1/32', 'fd00::/8']);
  });

  it("always refuses ingest's own address: NM_INGEST_URL's name, and NM_INGEST_PORT on every local address", async () => {
    const { resolver } = scriptedResolver({ 'nm-ingest.monitoring.svc': ['10.96.0.7'], 'alias.example': ['10.96.0.7'] });
    const g = egressGuardFromEnv(
      { NM_INGEST_URL: 'http://nm-ingest.monitoring.svc:19093', NM_INGEST_PORT: '18080', NM_EGRESS_ALLOW: '0.0.0.0/0,::/0' },
      { resolver, localAddresses: () => ['192.0.2.10'] },
    );
    const kinds: string[] = [];
    g.onDenied((k) => kinds.push(k));
    await expect(g.resolve('alias.example', 19093)).rejects.toThrow("egress denied: alias.example resolves to 10.96.0.7:19093 (ingest's own address (NM_INGEST_URL))");
    await expect(g.resolve('10.96.0.7', 443)).resolves.toEqual({ address: '10.96.0.7', family: 4 });
    await expect(g.resolve('127.0.0.1', 18080)).rejects.toThrow(EgressDeniedError);
    await expect(g.resolve('192.0.2.10', 18080)).rejects.toThrow("ingest's own address (NM_INGEST_PORT)");
    await expect(g.resolve('127.0.0.1', 18081)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    expect(kinds).toEqual(['ingest', 'ingest', 'ingest']);
  });
});

describe('the shared http client behind the guard', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      seen.push(`${req.headers.host ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { connection: 'close', 'content-type': 'text/plain' });
      res.end(req.url === '/big' ? 'x'.repeat(64 * 1024) : 'ok');
    });
    port = await listen(server);
  });
  afterAll(() => close(server));

  it('refuses a name resolving to the metadata address without opening a socket', async () => {
    const { resolver } = scriptedResolver({ 'metadata.google.internal': ['169.254.169.254'] });
    const { connector, asked } = recordingConnector();
    const http = createHttpClient({ egressGuard: new EgressGuard({ resolver }), connector });
    const err = await httpRequest(http, { method: 'GET', url: 'http://metadata.google.internal/computeMetadata/v1/' }, 'webhook').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: EGRESS_DENIED_CODE });
    expect((err as Error).message).toBe(
      'egress denied: metadata.google.internal resolves to 169.254.169.254:80 (built-in deny 169.254.0.0/16: link-local, cloud metadata or unspecified)',
    );
    const literal = await httpRequest(http, { method: 'GET', url: 'https://[fe80::1]:8443/x' }, 'webhook').catch((e: unknown) => e);
    expect((literal as Error).message).toContain('egress denied: [fe80::1]:8443');
    expect(asked).toEqual([]);
  });

  it('checks the address it connects to: a name rebinding from loopback to metadata is refused on the next connection', async () => {
    const { resolver, lookups } = scriptedResolver({ 'rebind.test': ['127.0.0.1', '169.254.169.254'] });
    const { connector, asked } = recordingConnector();
    const http = createHttpClient({ egressGuard: new EgressGuard({ resolver }), connector });
    const first = await httpRequest(http, { method: 'GET', url: `http://rebind.test:${port}/first` }, 'webhook');
    expect(first.status).toBe(200);
    const second = await httpRequest(http, { method: 'GET', url: `http://rebind.test:${port}/second` }, 'webhook').catch((e: unknown) => e);
    expect((second as Error).message).toBe(
      `egress denied: rebind.test resolves to 169.254.169.254:${port} (built-in deny 169.254.0.0/16: link-local, cloud metadata or unspecified)`,
    );
    expect(lookups).toEqual(['rebind.test', 'rebind.test']);
    expect(asked).toEqual([`127.0.0.1:${port}`]);
    expect(seen.filter((s) => s.startsWith('rebind.test'))).toEqual([`rebind.test:${port} /first`]);
  });

  it('refuses when any address of a name is denied', async () => {
    const resolver: EgressResolver = () =>
      Promise.resolve([
        { address: '127.0.0.1', family: 4 },
        { address: 'fe80::2', family: 6 },
      ]);
    const { connector, asked } = recordingConnector();
    const http = createHttpClient({ egressGuard: new EgressGuard({ resolver }), connector });
    await expect(httpRequest(http, { method: 'GET', url: `http://multi.test:${port}/` }, 'slack')).rejects.toThrow('egress denied: multi.test resolves to [fe80::2]');
    expect(asked).toEqual([]);
  });

  it('fails an answer larger than the limit with a clear error', async () => {
    const http = createHttpClient({ maxResponseBytes: 16 * 1024 });
    const err = await httpRequest(http, { method: 'GET', url: `http://127.0.0.1:${port}/big` }, 'slack').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'slack:response-too-large', message: 'slack answer is larger than 16384 bytes (NM_HTTP_MAX_RESPONSE_BYTES); not read' });
    const small = await httpRequest(http, { method: 'GET', url: `http://127.0.0.1:${port}/small` }, 'slack');
    expect(small.text).toBe('ok');
  });
});

describe('SMTP behind the guard', () => {
  it('refuses a smart host resolving to a denied address before any connection', async () => {
    const { resolver } = scriptedResolver({ 'smtp.internal.test': ['169.254.169.254'] });
    const { connector, asked } = recordingConnector();
    const sender = new EmailSender({ egressGuard: new EgressGuard({ resolver }), connector, retry: { attempts: 1 }, clock: new RecordingClock() });
    const res = await sender.send(
      { config: { from: 'nm@example.com', smartHost: { host: 'smtp.internal.test', port: 25 } }, to: ['ops@example.com'] },
      textMessage('body', 'subject'),
    );
    expect(res.status).toBe('failed');
    expect(res.outcomes[0]?.error).toMatchObject({ code: EGRESS_DENIED_CODE });
    expect(res.outcomes[0]?.error?.message).toContain('egress denied: smtp.internal.test resolves to 169.254.169.254:25');
    expect(asked).toEqual([]);
  });
});

describe('webhook proxyUrl with an https target (CONNECT)', () => {
  let pki: TestPki;
  let target: HttpsServer;
  let targetPort: number;
  let proxy: Server;
  let proxyPort: number;
  const received: { path: string; body: string }[] = [];
  const connects: { authority: string; auth: string | undefined }[] = [];

  beforeAll(async () => {
    pki = makeTestPki();
    target = createHttpsServer({ cert: pki.server.cert, key: pki.server.key }, (req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200);
        res.end('{}');
      });
    });
    targetPort = await listen(target);
    // a CONNECT proxy that tunnels to loopback only
    proxy = createHttpServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      const authority = req.url ?? '';
      connects.push({ authority, auth: req.headers['proxy-authorization'] });
      const [host, portText] = authority.replace(/^\[|\](?=:)/g, '').split(/:(?=\d+$)/);
      if (host !== '127.0.0.1' && host !== 'localhost') {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = netConnect({ host: '127.0.0.1', port: Number(portText) }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxyPort = await listen(proxy);
  });
  afterAll(async () => {
    await close(proxy);
    await close(target);
    pki.remove();
  });

  it('tunnels to the https target, verifies its certificate by name, and authenticates at the proxy', async () => {
    const sender = new WebhookSender({ clock: new RecordingClock(), retry: { attempts: 1 } });
    try {
      const res = await sender.send(
        {
          url: `https://localhost:${targetPort}/hook`,
          httpConfig: { proxyUrl: `http://user:p%40ss@127.0.0.1:${proxyPort}`, tlsConfig: { rootCA: pki.ca.cert.toString() } },
        },
        textMessage('{"via":"connect"}'),
      );
      expect(res.status).toBe('delivered');
      expect(received.at(-1)).toEqual({ path: '/hook', body: '{"via":"connect"}' });
      expect(connects.at(-1)).toEqual({ authority: `localhost:${targetPort}`, auth: `Basic ${Buffer.from('user:p@ss').toString('base64')}` });
      // an untrusted certificate through the tunnel is still refused
      const untrusted = await sender.send({ url: `https://localhost:${targetPort}/hook`, httpConfig: { proxyUrl: `http://127.0.0.1:${proxyPort}` } }, textMessage('{}'));
      expect(untrusted.status).toBe('failed');
      expect(untrusted.outcomes[0]?.error).toMatchObject({ code: 'webhook:tls' });
    } finally {
      sender.close();
    }
  });

  it('applies the egress rules to the proxy address and to the target it can resolve', async () => {
    const before = { connects: connects.length, received: received.length };
    const { resolver } = scriptedResolver({ 'proxy.test': ['127.0.0.1'], 'hooks.test': ['169.254.169.254'], 'metadata.test': ['169.254.169.254'] });
    const { connector, asked } = recordingConnector();
    const deny = new EgressGuard({ deny: ['127.0.0.1/32'], resolver });
    const sender = new WebhookSender({ clock: new RecordingClock(), retry: { attempts: 1 }, egressGuard: deny, connector });
    const viaDeniedProxy = await sender.send({ url: `https://localhost.test:${targetPort}/x`, httpConfig: { proxyUrl: `http://proxy.test:${proxyPort}` } }, textMessage('{}'));
    expect(viaDeniedProxy.outcomes[0]?.error?.message).toContain(`egress denied: proxy.test resolves to 127.0.0.1:${proxyPort} (NM_EGRESS_DENY 127.0.0.1/32)`);
    const open = new EgressGuard({ resolver });
    const sender2 = new WebhookSender({ clock: new RecordingClock(), retry: { attempts: 1 }, egressGuard: open, connector });
    const toMetadata = await sender2.send({ url: 'https://hooks.test/x', httpConfig: { proxyUrl: `http://proxy.test:${proxyPort}` } }, textMessage('{}'));
    expect(toMetadata.outcomes[0]?.error?.message).toContain('egress denied: hooks.test resolves to 169.254.169.254:443');
    const httpViaDeniedProxy = await sender.send({ url: 'http://hooks.example/x', httpConfig: { proxyUrl: `http://proxy.test:${proxyPort}` } }, textMessage('{}'));
    expect(httpViaDeniedProxy.outcomes[0]?.error?.message).toContain(`egress denied: proxy.test resolves to 127.0.0.1:${proxyPort}`);
    const httpToMetadata = await sender2.send({ url: 'http://metadata.test/latest/meta-data/', httpConfig: { proxyUrl: `http://proxy.test:${proxyPort}` } }, textMessage('{}'));
    expect(httpToMetadata.outcomes[0]?.error?.message).toContain('egress denied: metadata.test resolves to 169.254.169.254:80');
    expect(asked).toEqual([]);
    expect({ connects: connects.length, received: received.length }).toEqual(before);
    sender.close();
    sender2.close();
  });
});
