import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startWebhookSink, type WebhookSink } from '@nm/testing';
import { webhookBody } from '@nm/templates';
import { PermanentError, RetryableError } from '@nm/errors';
import type { OutgoingMessage } from './channel.types.js';
import { failureOf } from './delivery.runner.js';
import { RecordingClock, alerts, textMessage } from './test-support/fixtures.js';
import { WebhookSender, webhookUrl, type WebhookTarget, wireBody } from './webhook.sender.js';

const NOTIFICATION_TIME = new Date('2024-05-14T10:00:05.000Z');

function defaultBodyMessage(n = 2): { message: OutgoingMessage; expected: unknown } {
  const list = alerts(n).map((a) => ({ ...a, generatorURL: 'http://prometheus:9090/graph', value: '42' }));
  const input = {
    alerts: list,
    groupLabels: { alertname: 'Alert0' },
    groupKey: '{}:{alertname="Alert0"}',
    receiver: { name: 'ops-webhook' },
    externalURL: 'http://alertmanager:9093',
    notificationTime: NOTIFICATION_TIME,
  };
  return {
    message: { kind: 'alerts', alerts: list, render: (subset) => ({ body: JSON.stringify(webhookBody({ ...input, alerts: subset })) }) },
    expected: {
      receiver: 'ops-webhook',
      status: 'firing',
      alerts: list.map((a) => ({
        id: a.id,
        status: 'firing',
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: a.fingerprint,
        notificationTime: '2024-05-14T10:00:05.000Z',
        value: '42',
      })),
      groupLabels: { alertname: 'Alert0' },
      commonLabels: { severity: 'warning' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      version: '4',
      groupKey: '{}:{alertname="Alert0"}',
      truncatedAlerts: 0,
    },
  };
}

describe('webhookUrl', () => {
  it.each([
    [{ namespace: 'monitoring', name: 'adapter', port: 8080, path: 'alerts' }, 'http://adapter.monitoring:8080/alerts'],
    [{ namespace: 'monitoring', name: 'adapter', path: '/alerts' }, 'http://adapter.monitoring/alerts'],
    [{ namespace: 'ns', name: 'hook', scheme: 'https', port: 8443 }, 'https://hook.ns:8443/'],
  ])('builds the URL of service %j', (service, url) => {
    expect(webhookUrl({ service })).toBe(url);
  });

  it('refuses targets without a usable destination', () => {
    const code = (t: WebhookTarget): string => {
      try {
        webhookUrl(t);
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(PermanentError);
        return (err as PermanentError).code;
      }
    };
    expect(code({})).toBe('webhook:no-destination');
    expect(code({ url: 'http://a', service: { namespace: 'n', name: 's' } })).toBe('webhook:invalid-config');
    expect(code({ url: 'not a url' })).toBe('webhook:invalid-url');
    expect(code({ url: 'ftp://files.example.com/x' })).toBe('webhook:invalid-url');
  });
});

describe('WebhookSender over HTTP', () => {
  let sink: WebhookSink;
  let clock: RecordingClock;
  let sender: WebhookSender;

  beforeAll(async () => {
    sink = await startWebhookSink();
  });
  afterAll(async () => sink.close());
  beforeEach(() => {
    sink.requests.length = 0;
    sink.respondWith(undefined);
    clock = new RecordingClock();
    sender = new WebhookSender({ clock });
  });

  it('posts the v4 webhook JSON with its content type and idempotency key', async () => {
    const { message, expected } = defaultBodyMessage();
    const res = await sender.send({ url: `${sink.url}/alerts` }, message, { notificationId: 'n-123' });
    expect(sink.requests).toHaveLength(1);
    const req = sink.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/alerts');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('n-123');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual(expected);
    expect(res).toEqual({
      channel: 'webhook',
      status: 'delivered',
      outcomes: [
        {
          key: 'webhook#0/1',
          destination: `${sink.url}/alerts`,
          chunk: { index: 0, count: 1 },
          alertIds: ['a0', 'a1'],
          status: 'delivered',
          attempts: 1,
        },
      ],
    });
  });

  it('sends a custom body as rendered, with the configured method and extra headers', async () => {
    const body = '{"text":"2 alerts \\"firing\\""}';
    await sender.send(
      { url: `${sink.url}/custom?token=abc`, method: 'put', headers: { 'X-Tenant': 'team-a', 'content-type': 'application/vnd.ops+json' } },
      textMessage(body),
      { notificationId: 'n-1' },
    );
    const req = sink.requests[0]!;
    expect(req.method).toBe('PUT');
    expect(req.path).toBe('/custom?token=abc');
    expect(req.rawBody).toBe(body);
    expect(req.headers['x-tenant']).toBe('team-a');
    expect(req.headers['content-type']).toBe('application/vnd.ops+json');
  });

  it('gives each part its own idempotency key when the caller sent several', async () => {
    const message: OutgoingMessage = { kind: 'rendered', chunks: [{ body: '{"p":1}' }, { body: '{"p":2}' }] };
    const res = await sender.send({ url: `${sink.url}/p` }, message, { notificationId: 'n-9' });
    expect(sink.requests.map((r) => [r.headers['idempotency-key'], r.rawBody])).toEqual([
      ['n-9#0', '{"p":1}'],
      ['n-9#1', '{"p":2}'],
    ]);
    expect(res.outcomes.map((o) => o.key)).toEqual(['webhook#0/2', 'webhook#1/2']);
  });

  it('authenticates with the bearer token, which wins over basic auth, and keeps secrets out of results', async () => {
    const both = await sender.send(
      { url: `${sink.url}/a`, httpConfig: { bearerToken: 's3cr3t-token', basicAuth: { username: 'u', password: 'p' } } },
      textMessage('{}'),
    );
    await sender.send({ url: `${sink.url}/a`, httpConfig: { basicAuth: { username: 'alice', password: 'pa:ss' } } }, textMessage('{}'));
    expect(sink.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer s3cr3t-token',
      `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`,
    ]);
    expect(JSON.stringify(both)).not.toContain('s3cr3t-token');
  });

  it('does not let an extra header replace the configured authorization', async () => {
    await sender.send({ url: `${sink.url}/a`, headers: { authorization: 'Bearer forged' }, httpConfig: { bearerToken: 't' } }, textMessage('{}'));
    expect(sink.requests[0]!.headers.authorization).toBe('Bearer t');
  });

  it.each([201, 202, 204])('treats HTTP %i as delivered', async (status) => {
    sink.respondWith(() => ({ status, body: status === 204 ? '' : '{}' }));
    const res = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    expect(res.status).toBe('delivered');
    expect(sink.requests).toHaveLength(1);
  });

  it('waits inline for a short Retry-After, then delivers', async () => {
    let n = 0;
    sink.respondWith(() => (n++ === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const res = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    expect(clock.sleeps).toEqual([2000]);
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('hands a long Retry-After (seconds or HTTP date) back to the bus', async () => {
    sink.respondWith(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const seconds = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    const err = failureOf(seconds);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(120_000);
    expect(err!.code).toBe('webhook:http-429');
    expect(clock.sleeps).toEqual([]);

    const at = new Date(Date.now() + 90_000);
    sink.respondWith(() => ({ status: 429, headers: { 'retry-after': at.toUTCString() } }));
    const dated = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    const wait = (dated.outcomes[0]!.error as RetryableError).retryAfterMs!;
    expect(wait).toBeGreaterThan(85_000);
    expect(wait).toBeLessThanOrEqual(90_000);
  });

  it('retries 5xx inline once, then reports a retryable failure', async () => {
    sink.respondWith(() => ({ status: 503, body: '{"error":"maintenance"}' }));
    const res = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    expect(sink.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([1000]);
    expect(res.status).toBe('failed');
    const err = res.outcomes[0]!.error!;
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe('webhook:http-503');
    expect(err.message).toBe('webhook answered HTTP 503: error maintenance');
  });

  it('treats other 4xx as permanent without retrying', async () => {
    sink.respondWith(() => ({ status: 400, body: 'bad payload' }));
    const res = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'));
    expect(sink.requests).toHaveLength(1);
    const err = failureOf(res);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.code).toBe('webhook:http-400');
    expect(err!.message).toBe('webhook: 1 of 1 unit(s) failed: webhook answered HTTP 400: 11-byte answer');
  });

  it('times out after the target timeout and reports it as retryable', async () => {
    sink.respondWith(() => ({ status: 200, delayMs: 1500 }));
    const quick = new WebhookSender({ clock, retry: { attempts: 1 } });
    const started = Date.now();
    const res = await quick.send({ url: `${sink.url}/slow`, timeoutMs: 150 }, textMessage('{}'));
    expect(Date.now() - started).toBeLessThan(1000) // the answer takes 1.5 s; the timeout is 100–150 ms;
    const err = res.outcomes[0]!.error!;
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toMatch(/^webhook:network-(ECONNABORTED|ETIMEDOUT)$/);
  });

  it('reports a refused connection as retryable', async () => {
    const closed = await startWebhookSink();
    const url = `${closed.url}/a`;
    await closed.close();
    const res = await new WebhookSender({ clock, retry: { attempts: 1 } }).send({ url }, textMessage('{}'));
    expect(res.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(res.outcomes[0]!.error!.code).toBe('webhook:network-ECONNREFUSED');
  });

  it('does not send again what an earlier attempt delivered', async () => {
    const res = await sender.send({ url: `${sink.url}/a` }, textMessage('{}'), { deliveredKeys: new Set(['webhook#0/1']) });
    expect(sink.requests).toHaveLength(0);
    expect(res.status).toBe('duplicate');
  });

  it('goes through an HTTP proxy for http targets (https ones tunnel with CONNECT: egress.test.ts)', async () => {
    const res = await sender.send(
      { url: 'http://hooks.example.invalid/alerts', httpConfig: { proxyUrl: sink.url } },
      textMessage('{"via":"proxy"}'),
    );
    expect(res.status).toBe('delivered');
    expect(sink.requests[0]!.path).toBe('http://hooks.example.invalid/alerts');
    expect(sink.requests[0]!.headers.host).toBe('hooks.example.invalid');
  });
});

/** A CA, two server certificates (for 127.0.0.1, and for the name webhook.test only) and a client certificate. */
function makePki(dir: string): Record<'ca' | 'ipCert' | 'ipKey' | 'nameCert' | 'nameKey' | 'clientCert' | 'clientKey', string> {
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=nm test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, subject: string, ext: string): void => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`,
      '-days', '2', '-extfile', `${name}.ext`);
  };
  leaf('ip', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('name', '/CN=webhook.test', 'subjectAltName=DNS:webhook.test\nextendedKeyUsage=serverAuth\n');
  leaf('client', '/CN=nm-client', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('ca.crt'),
    ipCert: read('ip.crt'),
    ipKey: read('ip.key'),
    nameCert: read('name.crt'),
    nameKey: read('name.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
}

interface TlsSink {
  url: string;
  seen: { path: string; clientCN: string | undefined; authorized: boolean }[];
  close(): Promise<void>;
}

async function startTlsSink(cert: string, key: string, ca: string): Promise<TlsSink> {
  const seen: TlsSink['seen'] = [];
  const server: HttpsServer = createHttpsServer({ cert, key, ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const cn = peer.subject?.CN;
    seen.push({ path: req.url ?? '/', clientCN: typeof cn === 'string' ? cn : undefined, authorized: socket.authorized });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('WebhookSender over HTTPS', () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  let ipSink: TlsSink;
  let nameSink: TlsSink;
  let sender: WebhookSender;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nm-webhook-tls-'));
    pki = makePki(dir);
    ipSink = await startTlsSink(pki.ipCert, pki.ipKey, pki.ca);
    nameSink = await startTlsSink(pki.nameCert, pki.nameKey, pki.ca);
  });
  afterAll(async () => {
    sender.close();
    await ipSink.close();
    await nameSink.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    sender?.close();
    sender = new WebhookSender({ clock: new RecordingClock(), retry: { attempts: 1 } });
    ipSink.seen.length = 0;
    nameSink.seen.length = 0;
  });

  it('trusts a server signed by the configured root CA', async () => {
    const res = await sender.send({ url: `${ipSink.url}/tls`, httpConfig: { tlsConfig: { rootCA: pki.ca } } }, textMessage('{}'));
    expect(res.status).toBe('delivered');
    expect(ipSink.seen).toEqual([{ path: '/tls', clientCN: undefined, authorized: false }]);
  });

  it('refuses a server whose CA is not trusted, permanently', async () => {
    const res = await sender.send({ url: `${ipSink.url}/tls` }, textMessage('{}'));
    expect(ipSink.seen).toHaveLength(0);
    const err = failureOf(res);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.code).toBe('webhook:tls');
  });

  it('accepts an untrusted server with insecureSkipVerify', async () => {
    const res = await sender.send({ url: `${ipSink.url}/tls`, httpConfig: { tlsConfig: { insecureSkipVerify: true } } }, textMessage('{}'));
    expect(res.status).toBe('delivered');
    expect(ipSink.seen).toHaveLength(1);
  });

  it('presents the client certificate', async () => {
    const tlsConfig = { rootCA: pki.ca, clientCertificate: { cert: pki.clientCert, key: pki.clientKey } };
    const res = await sender.send({ url: `${ipSink.url}/mtls`, httpConfig: { tlsConfig } }, textMessage('{}'));
    expect(res.status).toBe('delivered');
    expect(ipSink.seen).toEqual([{ path: '/mtls', clientCN: 'nm-client', authorized: true }]);
  });

  it('checks the certificate against serverName when given', async () => {
    const url = `${nameSink.url}/named`;
    const mismatch = await sender.send({ url, httpConfig: { tlsConfig: { rootCA: pki.ca } } }, textMessage('{}'));
    expect(failureOf(mismatch)).toBeInstanceOf(PermanentError);
    const named = await sender.send({ url, httpConfig: { tlsConfig: { rootCA: pki.ca, serverName: 'webhook.test' } } }, textMessage('{}'));
    expect(named.status).toBe('delivered');
    expect(nameSink.seen).toHaveLength(1);
  });
});

describe('wireBody', () => {
  it('sends a JSON body without the whitespace around it, and anything else byte for byte', () => {
    const json = { 'Content-Type': 'application/json' };
    expect(wireBody('\n{\n\t"a": 1\n}\n', json)).toBe('{\n\t"a": 1\n}');
    expect(wireBody('  [1, 2] ', { 'content-type': 'application/json; charset=utf-8' })).toBe('[1, 2]');
    expect(wireBody('\nplain text\n', json)).toBe('\nplain text\n');
    expect(wireBody('\n{"a": 1}\n', { 'Content-Type': 'text/plain' })).toBe('\n{"a": 1}\n');
  });
});

describe('webhook proxyUrl that is not an http(s) proxy', () => {
  it('fails permanently, saying why, before any connection', async () => {
    const sender = new WebhookSender({ retry: { attempts: 1 } });
    const why = async (proxyUrl: string): Promise<unknown> =>
      sender.send({ url: 'http://127.0.0.1:9/x', httpConfig: { proxyUrl } }, textMessage('{}')).then(
        (r) => r.outcomes[0]?.error,
        (e: unknown) => e,
      );
    expect(await why('socks5://127.0.0.1:1080')).toMatchObject({ code: 'webhook:invalid-proxy', message: 'webhook: unsupported proxy scheme socks5:' });
    expect(await why('not a url')).toMatchObject({ code: 'webhook:invalid-proxy', message: 'webhook: invalid proxyUrl' });
    sender.close();
  });
});
