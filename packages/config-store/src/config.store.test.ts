import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, waitFor, type PrivateRedis } from '@nm/testing';
import { createLogger } from '@nm/telemetry';
import {
  ConfigStoreReader,
  ConfigStoreWriter,
  keys,
  resolveCredential,
  SecretBox,
  SecretDecryptError,
  parsePreviousKeys,
  aliveServices,
  startHeartbeat,
} from './index.js';

const logger = createLogger('test', 'silent');

describe('SecretBox', () => {
  it('round-trips and refuses another key', () => {
    const sealed = new SecretBox('k1').seal('hunter2');
    expect(sealed).not.toContain('hunter2');
    expect(new SecretBox('k1').open(sealed)).toBe('hunter2');
    expect(() => new SecretBox('k2').open(sealed)).toThrow(SecretDecryptError);
  });

  it('during a rotation opens what the previous key sealed, says it is stale, and seals with the new key', () => {
    const old = new SecretBox('old-key-0123456789');
    const sealedOld = old.seal('hunter2');
    const rotating = new SecretBox('new-key-0123456789', parsePreviousKeys(' old-key-0123456789 , ,other-key-0123456789'));
    expect(rotating.previousKeyCount).toBe(2);
    expect(rotating.openWithKey(sealedOld)).toEqual({ plaintext: 'hunter2', stale: true });
    const sealedNew = rotating.seal('hunter2');
    expect(rotating.openWithKey(sealedNew)).toEqual({ plaintext: 'hunter2', stale: false });
    // the new key alone reads the new data, not the old
    expect(new SecretBox('new-key-0123456789').open(sealedNew)).toBe('hunter2');
    expect(() => new SecretBox('new-key-0123456789').open(sealedOld)).toThrow('NM_SECRET_KEY_PREVIOUS');
    expect(() => old.open(sealedNew)).toThrow(SecretDecryptError);
  });

  it('derives key ids with an HMAC of the key: stable per key, different across keys, never the plain hash', () => {
    const a = new SecretBox('key-a-0123456789');
    const material = 'https://oapi.dingtalk.com/robot/send?access_token=abc';
    expect(a.keyId(material)).toBe(a.keyId(material));
    expect(a.keyId(material)).toMatch(/^[0-9a-f]{40}$/);
    expect(new SecretBox('key-b-0123456789').keyId(material)).not.toBe(a.keyId(material));
    expect(createHash('sha256').update(material).digest('hex')).not.toContain(a.keyId(material));
  });
});

describe('config store on a real redis', () => {
  let redis: PrivateRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await redis.stop();
  });
  const client = (): Redis => {
    const c = new Redis(redis.url);
    clients.push(c);
    return c;
  };

  it('mirrors objects and encrypted secrets, bumps the revision only on change, and notifies readers', async () => {
    const box = new SecretBox('test-key');
    const writer = new ConfigStoreWriter(client(), box);
    const reader = new ConfigStoreReader(client(), client(), box, logger, 60_000);
    await reader.start();
    expect(reader.isLoaded()).toBe(false);

    const receiver = { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name: 'r1' }, spec: {} };
    const content = {
      objects: [
        { kind: 'Receiver' as const, name: 'r1', body: receiver },
        { kind: 'ConfigMap' as const, name: 'tpl', namespace: 'ns', body: { metadata: { name: 'tpl', namespace: 'ns' }, data: { a: 'b' } } },
      ],
      secrets: [{ namespace: 'ns', name: 's', data: { token: 'xoxb-secret' } }],
      problems: [],
    };
    const first = await writer.replaceAll(content);
    expect(first).toEqual({ revision: 1, changed: true });
    expect(await writer.replaceAll(content)).toEqual({ revision: 1, changed: false });

    const raw = await client().hget(keys.secrets, 'ns/s');
    expect(raw).not.toContain('xoxb-secret');
    // object bodies are sealed too (a Receiver's URL and headers are in its body)
    const rawObject = (await client().hget(keys.objects, 'Receiver/r1'))!;
    expect(rawObject).toMatch(/^v1\./);
    expect(rawObject).not.toContain('Receiver');
    expect(JSON.parse(box.open(rawObject))).toEqual(receiver);

    await waitFor('reader loads revision 1', () => reader.current().revision === 1);
    const snap = reader.current();
    expect(snap.receivers).toEqual([receiver]);
    expect(snap.configMaps).toEqual({ 'ns/tpl': { a: 'b' } });
    expect(resolveCredential({ valueFrom: { secretKeyRef: { name: 's', key: 'token' } } }, snap, 'ns')).toBe('xoxb-secret');
    expect(() => resolveCredential({ valueFrom: { secretKeyRef: { name: 'nope', key: 'token' } } }, snap, 'ns')).toThrow(
      'secret ns/nope not found',
    );

    await writer.replaceAll({ ...content, objects: [] });
    await waitFor('reader loads revision 2', () => reader.current().revision === 2);
    expect(reader.current().receivers).toEqual([]);
    reader.stop();
  });

  it('after a key rotation, the first write re-encrypts everything with the new key; readers with both keys read both', async () => {
    const c = client();
    await c.flushall();
    const receiver = { kind: 'Receiver', metadata: { name: 'r' }, spec: { webhook: { url: 'https://hook.example/planted-url-secret' } } };
    const content = {
      objects: [{ kind: 'Receiver' as const, name: 'r', body: receiver }],
      secrets: [{ namespace: 'ns', name: 's', data: { password: 'planted-pw' } }],
      problems: [],
    };
    const oldBox = new SecretBox('old-key-0123456789');
    expect(await new ConfigStoreWriter(c, oldBox).replaceAll(content)).toEqual({ revision: 1, changed: true });
    const before = await c.hgetall(keys.objects);
    expect(await c.get(`${keys.revision}:digest`)).not.toBe(createHash('sha256').update(JSON.stringify({ ...content, problems: [] })).digest('hex'));

    const rotating = new SecretBox('new-key-0123456789', ['old-key-0123456789']);
    // a reader of the new generation reads data of the old one
    const reader = new ConfigStoreReader(client(), undefined, rotating, logger, 60_000);
    await reader.start();
    expect(reader.current().receivers).toEqual([receiver]);
    expect(reader.current().secrets['ns/s']).toEqual({ password: 'planted-pw' });
    reader.stop();

    // same content, new key: rewritten
    expect(await new ConfigStoreWriter(c, rotating).replaceAll(content)).toEqual({ revision: 2, changed: true });
    expect(await new ConfigStoreWriter(c, rotating).replaceAll(content)).toEqual({ revision: 2, changed: false });
    const after = await c.hgetall(keys.objects);
    expect(after['Receiver/r']).not.toBe(before['Receiver/r']);
    const newOnly = new SecretBox('new-key-0123456789');
    expect(JSON.parse(newOnly.open(after['Receiver/r']!))).toEqual(receiver);
    expect(JSON.parse(newOnly.open((await c.hget(keys.secrets, 'ns/s'))!))).toEqual({ password: 'planted-pw' });
    const dump = JSON.stringify([after, await c.hgetall(keys.secrets), await c.get(`${keys.revision}:digest`)]);
    expect(dump).not.toContain('planted');
  });

  it('an object sealed with another key keeps the previous snapshot instead of dropping the object', async () => {
    const c = client();
    await c.flushall();
    const receiver = { kind: 'Receiver', metadata: { name: 'r' }, spec: { webhook: { url: 'https://hook.example/x' } } };
    const box = new SecretBox('key-one-0123456789');
    await new ConfigStoreWriter(c, box).replaceAll({ objects: [{ kind: 'Receiver' as const, name: 'r', body: receiver }], secrets: [], problems: [] });
    const fresh = new ConfigStoreReader(client(), undefined, new SecretBox('key-two-0123456789'), logger, 60_000);
    await fresh.start();
    expect(fresh.isLoaded()).toBe(false);
    fresh.stop();
    const reader = new ConfigStoreReader(client(), undefined, box, logger, 60_000);
    await reader.start();
    expect(reader.current().receivers).toEqual([receiver]);
    await c.hset(keys.objects, 'Receiver/r', new SecretBox('key-two-0123456789').seal(JSON.stringify(receiver)));
    await c.incr(keys.revision);
    await reader.refresh();
    expect(reader.current().receivers).toEqual([receiver]);
    reader.stop();
  });

  it('reads object bodies stored as plain JSON by an earlier version', async () => {
    const c = client();
    await c.flushall();
    await c.hset(keys.objects, 'Receiver/legacy', JSON.stringify({ kind: 'Receiver', metadata: { name: 'legacy' }, spec: {} }));
    await c.set(keys.revision, '7');
    const reader = new ConfigStoreReader(client(), undefined, new SecretBox('any-key-0123456789'), logger, 60_000);
    await reader.start();
    expect(reader.current().receivers.map((r) => r.metadata.name)).toEqual(['legacy']);
    reader.stop();
  });

  it('tracks heartbeats', async () => {
    const c = client();
    const stop = startHeartbeat(c, 'router', 'i1', 50);
    await waitFor('router alive', async () => (await aliveServices(c, 1000)).has('router'));
    stop();
    expect((await aliveServices(c, 1000)).has('silencer')).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect((await aliveServices(c, 100)).has('router')).toBe(false);
  });
});
