import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { keys } from '@nm/config-store';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { makeTestPki, startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis, type TestCert, type TestPki } from '@nm/testing';
import { parseEnv } from '@nm/telemetry';
import { IngestEnvSchema, ingestOptionsFromEnv } from './ingest.env.js';
import { listen, type Listener } from './listener.js';
import { startIngest } from './service.js';

/** HTTPS and mTLS on ingest's listeners, with certificates made by openssl, on loopback. */

const logger = createLogger('ingest-tls-test', 'silent');

interface Answer {
  status: number;
  body: string;
  peer: PeerCertificate;
}

/** One HTTPS request on a fresh connection (no agent reuse), trusting `ca`, optionally with a client certificate. */
function call(port: number, opts: { ca: Buffer; client?: TestCert; method?: string; path?: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/-/healthy',
        ca: opts.ca,
        agent: false,
        headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('TLS listener', () => {
  let pki: TestPki;
  const listeners: Listener[] = [];
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(async () => {
    for (const l of listeners) await l.close();
    pki?.remove();
  });
  const serve = async (tls: Parameters<typeof listen>[1]['tls']): Promise<Listener> => {
    const l = await listen((_req, res) => res.end('ok'), { port: 0, host: '127.0.0.1', logger, name: 'test', tls, pollMs: 50 });
    listeners.push(l);
    return l;
  };

  it('serves HTTPS with the given certificate; plain HTTP gets no answer', async () => {
    const l = await serve({ certFile: pki.server.certFile, keyFile: pki.server.keyFile });
    const a = await call(l.port, { ca: pki.ca.cert });
    expect(a).toMatchObject({ status: 200, body: 'ok' });
    expect(a.peer.subject.CN).toBe('server');
    await expect(fetch(`http://127.0.0.1:${l.port}/`)).rejects.toThrow();
    // a client that does not trust the CA refuses the server
    await expect(call(l.port, { ca: pki.rogueCa.cert })).rejects.toThrow();
  });

  it('mTLS: refuses a client without a certificate or with one of another CA; accepts one of the client CA', async () => {
    const l = await serve({ certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCaFile: pki.ca.certFile });
    await expect(call(l.port, { ca: pki.ca.cert })).rejects.toThrow();
    await expect(call(l.port, { ca: pki.ca.cert, client: pki.rogueClient })).rejects.toThrow();
    expect(await call(l.port, { ca: pki.ca.cert, client: pki.client })).toMatchObject({ status: 200, body: 'ok' });
  });

  it('re-reads the certificate when its files change (a renewal), for new connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tls-reload-'));
    try {
      const certFile = join(dir, 'tls.crt');
      const keyFile = join(dir, 'tls.key');
      copyFileSync(pki.server.certFile, certFile);
      copyFileSync(pki.server.keyFile, keyFile);
      const l = await serve({ certFile, keyFile });
      expect((await call(l.port, { ca: pki.ca.cert })).peer.subject.CN).toBe('server');
      const renewed = pki.issue('renewed-server', 'server');
      copyFileSync(renewed.keyFile, keyFile);
      copyFileSync(renewed.certFile, certFile);
      await waitFor('renewed certificate served', async () => (await call(l.port, { ca: pki.ca.cert })).peer.subject.CN === 'renewed-server', 10_000, 50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with unreadable certificate files, naming them', async () => {
    await expect(serve({ certFile: join(pki.dir, 'missing.crt'), keyFile: pki.server.keyFile })).rejects.toThrow(/cannot read the TLS certificate .*missing\.crt: ENOENT/);
  });
});

describe('ingest with mTLS from the environment (NM_INGEST_TLS_*), admin API on its own port', () => {
  let pki: TestPki;
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let rt: Runtime;
  let svc: { port: number; adminPort?: number; stop(): Promise<void> };
  beforeAll(async () => {
    pki = makeTestPki();
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    rt = createRuntime({ service: 'ingest', natsUrl: nats.url, redisUrl: redis.url, secretKey: 'ingest-tls-test-secret', logger });
    await rt.connected;
    await rt.redis.set(keys.revision, '1');
    const env = parseEnv(IngestEnvSchema, {
      NM_INGEST_TLS_CERT_FILE: pki.server.certFile,
      NM_INGEST_TLS_KEY_FILE: pki.server.keyFile,
      NM_INGEST_TLS_CLIENT_CA_FILE: pki.ca.certFile,
      NM_INGEST_TOKENS: 'am-token',
      NM_ADMIN_TOKENS: 'admin-token',
      NM_ADMIN_PORT: '0',
    });
    svc = await startIngest(rt, { ...ingestOptionsFromEnv(env), port: 0, host: '127.0.0.1', readyRequires: [] });
  });
  afterAll(async () => {
    await svc?.stop();
    await rt?.close();
    await nats?.stop();
    await redis?.stop();
    pki?.remove();
  });

  const alert = JSON.stringify([{ labels: { alertname: 'OverMtls' } }]);

  it('ingest: a client certificate of the CA and an ingest token; both are required', async () => {
    const post = { method: 'POST', path: '/api/v2/alerts', body: alert };
    expect(await call(svc.port, { ...post, ca: pki.ca.cert, client: pki.client, headers: { authorization: 'Bearer am-token' } })).toMatchObject({ status: 200 });
    expect(await call(svc.port, { ...post, ca: pki.ca.cert, client: pki.client })).toMatchObject({ status: 401 });
    await expect(call(svc.port, { ...post, ca: pki.ca.cert, headers: { authorization: 'Bearer am-token' } })).rejects.toThrow();
    await expect(call(svc.port, { ...post, ca: pki.ca.cert, client: pki.rogueClient, headers: { authorization: 'Bearer am-token' } })).rejects.toThrow();
  });

  it('admin port: the same server certificate, no client certificate asked, an admin token required', async () => {
    const admin = svc.adminPort!;
    expect(await call(admin, { ca: pki.ca.cert, path: '/api/v2/dlq' })).toMatchObject({ status: 401 });
    const ok = await call(admin, { ca: pki.ca.cert, path: '/api/v2/dlq', headers: { authorization: 'Bearer admin-token' } });
    expect(ok.status).toBe(200);
    expect(ok.peer.subject.CN).toBe('server');
  });
});
