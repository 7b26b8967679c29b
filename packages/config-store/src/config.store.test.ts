import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
