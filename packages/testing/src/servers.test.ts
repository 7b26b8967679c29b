import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { startNats, startRedis, startWebhookSink } from './index.js';

describe('private servers', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('starts redis on a free port and survives a restart without persistence as empty', async () => {
    const r = await startRedis();
    cleanup.push(() => r.stop());
    const c = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await c.connect();
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    await r.restart();
    const c2 = new Redis(r.url);
    expect(await c2.get('k')).toBeNull();
    c.disconnect();
    c2.disconnect();
  });

  it('starts nats with jetstream and restarts on the same port', async () => {
    const n = await startNats();
    cleanup.push(() => n.stop());
    const nc = await connect({ servers: n.url });
    const rtt = await nc.rtt();
    expect(rtt).toBeGreaterThanOrEqual(0);
    await nc.close();
    await n.restart();
    const nc2 = await connect({ servers: n.url });
    expect(nc2.getServer()).toContain(String(n.port));
    await nc2.close();
  });

  it('webhook sink records and answers as scripted', async () => {
    const s = await startWebhookSink();
    cleanup.push(() => s.close());
    s.respondWith((req) => (req.path === '/fail' ? { status: 500 } : undefined));
    const ok = await fetch(`${s.url}/ok`, { method: 'POST', body: JSON.stringify({ a: 1 }) });
    const bad = await fetch(`${s.url}/fail`, { method: 'POST', body: 'x' });
    expect([ok.status, bad.status]).toEqual([200, 500]);
    expect(s.requests.map((r) => r.path)).toEqual(['/ok', '/fail']);
    expect(s.accepted()).toHaveLength(1);
    expect(s.accepted()[0]!.body).toEqual({ a: 1 });
  });
});
