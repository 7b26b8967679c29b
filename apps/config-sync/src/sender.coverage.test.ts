import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigStoreWriter, keys, SecretBox } from '@nm/config-store';
import { loadManifests } from '@nm/manifests';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { DirectorySync, SENDER_CHANNELS, SenderLiveness, missingSenderProblems } from './index.js';

/** Every channel has a sender now: these tests take sms for one that has none. */
const WITHOUT_SMS = SENDER_CHANNELS.filter((c) => c !== 'sms');

const receivers = `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: hooks, labels: {type: global}}
spec:
  webhook: {url: http://example/hook}
  sms: {enabled: false, phoneNumbers: ["13800000000"]}
---
apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: chat, labels: {type: global}}
spec:
  sms: {phoneNumbers: ["13800000001"]}
  slack: {channels: ["#ops"]}
`;

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}
function spyLogger(lines: Line[]): ReturnType<typeof createLogger> {
  const base = createLogger('t', 'silent');
  const rec = (level: string) => (fields: Record<string, unknown> | string, msg?: string) =>
    void lines.push(typeof fields === 'string' ? { level, msg: fields, fields: {} } : { level, msg: msg ?? '', fields });
  return { ...base, error: rec('error'), warn: rec('warn'), info: rec('info'), debug: () => undefined };
}
const gauge = async (metrics: Metrics, channel: string, reason: string): Promise<number | undefined> => {
  const m = await metrics.registry.getSingleMetric('nm_config_receivers_without_sender')?.get();
  return m?.values.find((v) => v.labels['channel'] === channel && v.labels['reason'] === reason)?.value;
};

describe('Receivers of channels without a sender', () => {
  let redis: PrivateRedis;
  let dir: string;
  let c: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    c = new Redis(redis.url);
    dir = mkdtempSync(join(tmpdir(), 'nm-cs-senders-'));
    writeFileSync(join(dir, 'receivers.yaml'), receivers);
  });
  afterAll(async () => {
    c.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns at validation about channels no sender exists for, enabled sections only', async () => {
    const { objects } = await loadManifests([dir]);
    expect(missingSenderProblems(objects, WITHOUT_SMS)).toEqual([
      {
        severity: 'warning',
        file: join(dir, 'receivers.yaml'),
        kind: 'Receiver',
        name: 'chat',
        field: 'spec.sms',
        message: 'no sender exists for channel sms in this version: its notifications are dead-lettered (reason no-sender) after NM_NOTIFY_UNCLAIMED_TIMEOUT',
      },
    ]);
  });

  it('config-sync mirrors such a Receiver, stores the warning in nm:config:problems, logs it once and counts it', async () => {
    const lines: Line[] = [];
    const metrics = new Metrics('t');
    let mirrored: number | undefined;
    const sync = new DirectorySync(
      dir,
      new ConfigStoreWriter(c, new SecretBox('sender-coverage-test-key')),
      spyLogger(lines),
      metrics,
      60_000,
      (rev) => {
        mirrored = rev;
      },
      undefined,
      WITHOUT_SMS,
    );
    await sync.start();
    await sync.syncNow(true); // a second sync of the same files logs nothing new
    sync.stop();
    expect(mirrored).toBe(1);
    expect(Object.keys(await c.hgetall(keys.objects)).sort()).toEqual(['Receiver/chat', 'Receiver/hooks']);
    const problems = await c.hgetall(keys.problems);
    expect(Object.keys(problems)).toEqual([`${join(dir, 'receivers.yaml')}#Receiver/chat`]);
    expect(JSON.parse(problems[`${join(dir, 'receivers.yaml')}#Receiver/chat`]!)).toEqual([
      expect.objectContaining({ severity: 'warning', field: 'spec.sms', message: expect.stringContaining('no sender exists for channel sms in this version') }),
    ]);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      { level: 'warn', msg: 'configuration warning', fields: expect.objectContaining({ object: 'Receiver/chat', field: 'spec.sms', problem: expect.stringContaining('no sender exists for channel sms') }) },
    ]);
    expect(await gauge(metrics, 'sms', 'no-implementation')).toBe(1); // the disabled section of Receiver hooks is not counted
    expect(await gauge(metrics, 'telegram', 'no-implementation')).toBeUndefined(); // sender-telegram exists
  });

  it('checks heartbeats: a channel in use without a live sender is warned about once per revision, counted and listed, until its sender is back', async () => {
    const { objects } = await loadManifests([dir]);
    const lines: Line[] = [];
    const metrics = new Metrics('t');
    const live = new SenderLiveness(c, spyLogger(lines), metrics);
    live.update(7, objects);
    const beat = (service: string, at: number): Promise<number> => c.hset(keys.heartbeats, service, JSON.stringify({ instance: 'x', at }));
    await beat('sender-webhook', Date.now());
    await beat('sender-sms', Date.now());
    await beat('sender-slack', Date.now() - 60_000); // stale

    expect(await live.check()).toEqual(['slack']);
    expect(await live.check()).toEqual(['slack']);
    const warned = lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('sender-slack');
    expect(warned[0]!.fields).toEqual({ channels: ['slack'], receivers: ['slack/chat'], revision: 7 });
    expect(await gauge(metrics, 'slack', 'not-running')).toBe(1);
    const field = 'sender-heartbeats#Receiver/chat';
    expect(JSON.parse((await c.hget(keys.problems, field))!)).toEqual([
      expect.objectContaining({ severity: 'warning', kind: 'Receiver', name: 'chat', field: 'spec.slack', message: expect.stringContaining('no live sender-slack') }),
    ]);

    live.update(8, objects); // a new revision: said again
    await live.check();
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);

    await beat('sender-slack', Date.now());
    expect(await live.check()).toEqual([]);
    expect(await c.hexists(keys.problems, field)).toBe(0);
    expect(await gauge(metrics, 'slack', 'not-running')).toBe(0);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['every channel the Receivers use has a live sender again']);
  });
});
