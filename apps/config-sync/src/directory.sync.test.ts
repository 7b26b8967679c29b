import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigStoreReader, ConfigStoreWriter, keys, resolveCredential, SecretBox } from '@nm/config-store';
import { startRedis, waitFor, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { DirectorySync, extractInlineCredentials } from './index.js';

const logger = createLogger('t', 'silent');

describe('extractInlineCredentials', () => {
  it('moves inline values into a synthetic secret and leaves references alone', () => {
    const obj = {
      kind: 'Receiver',
      spec: {
        webhook: { url: 'http://x', httpConfig: { bearerToken: { value: 'tok' }, basicAuth: { username: 'u', password: { valueFrom: { secretKeyRef: { name: 's', key: 'k' } } } } } },
        slack: { channels: ['a'] },
      },
    };
    const { object, secretName, data } = extractInlineCredentials('Receiver', 'r1', obj);
    expect(secretName).toBe('Receiver.r1');
    expect(data).toEqual({ 'spec.webhook.httpConfig.bearerToken': 'tok' });
    expect(JSON.stringify(object)).not.toContain('tok"');
    expect(object).toMatchObject({
      spec: {
        webhook: {
          httpConfig: {
            bearerToken: { valueFrom: { secretKeyRef: { namespace: '_inline', name: 'Receiver.r1', key: 'spec.webhook.httpConfig.bearerToken' } } },
            basicAuth: { password: { valueFrom: { secretKeyRef: { name: 's', key: 'k' } } } },
          },
        },
        slack: { channels: ['a'] },
      },
    });
  });
});

describe('DirectorySync on a real redis', () => {
  let redis: PrivateRedis;
  let dir: string;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'nm-cs-'));
  });
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mirrors valid objects, rejects the invalid one with its file and field, encrypts secrets, and picks up edits', async () => {
    writeFileSync(
      join(dir, 'a.yaml'),
      `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: good, labels: {type: global}}
spec:
  webhook:
    url: http://example/hook
    httpConfig: {bearerToken: {value: inline-token}}
---
apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: bad, labels: {type: global}}
spec:
  email: {to: []}
---
apiVersion: notification.kubesphere.io/v2beta2
kind: EventRule
metadata: {name: audit-deletes}
spec:
  audit: {verbs: [delete], resources: [secrets]}
---
apiVersion: notification.kubesphere.io/v2beta2
kind: EventRule
metadata: {name: both}
spec:
  events: {}
  audit: {}
---
apiVersion: v1
kind: Secret
metadata: {name: s1}
stringData: {password: plaintext-pw-4242}
`,
    );
    const c = new Redis(redis.url);
    clients.push(c);
    const box = new SecretBox('directory-sync-test-key');
    const lines: string[] = [];
    const capture = createLogger('t', 'error');
    const spy = { ...capture, error: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`), warn: () => undefined, info: () => undefined } as unknown as typeof logger;
    const sync = new DirectorySync(dir, new ConfigStoreWriter(c, box), spy, new Metrics('t'), 100);
    await sync.start();
    const reader = new ConfigStoreReader(c, undefined, box, logger, 50);
    await reader.start();
    await waitFor('loaded', () => reader.isLoaded());
    const snap = reader.current();
    expect(snap.receivers.map((r) => r.metadata.name)).toEqual(['good']);
    expect(lines.some((l) => l.includes('a.yaml') && l.includes('Receiver/bad') && l.includes('spec.email.to'))).toBe(true);
    expect(snap.eventRules?.map((r) => r.metadata.name)).toEqual(['audit-deletes']);
    expect(lines.some((l) => l.includes('EventRule/both') && l.includes('exactly one of events and audit'))).toBe(true);
    const stored = await c.hgetall(keys.objects);
    expect(JSON.stringify(stored)).not.toContain('inline-token');
    expect(JSON.stringify(await c.hgetall(keys.secrets))).not.toContain('plaintext-pw-4242');
    const good = snap.receivers[0]!;
    expect(resolveCredential(good.spec.webhook?.httpConfig?.bearerToken, snap, 'default')).toBe('inline-token');
    expect(snap.secrets['default/s1']).toEqual({ password: 'plaintext-pw-4242' });

    writeFileSync(join(dir, 'b.yaml'), `apiVersion: notification.kubesphere.io/v2beta2\nkind: Receiver\nmetadata: {name: second, labels: {type: global}}\nspec: {webhook: {url: http://x}}\n`);
    await waitFor('edit picked up', () => reader.current().receivers.length === 2, 5000);

    // Redis loses everything: config-sync mirrors again without any file change
    await c.flushall();
    await new Promise((r) => setTimeout(r, 200)); // several reader polls see an empty Redis
    expect(reader.current().receivers).toHaveLength(2); // readers keep their snapshot meanwhile
    await waitFor('re-mirrored after the flush', async () => (await c.hlen(keys.objects)) > 0, 5000);
    await waitFor('reader reloads the new revision', () => reader.current().revision === 1 && reader.current().receivers.length === 2, 5000);
    sync.stop();
    reader.stop();
  });
});
