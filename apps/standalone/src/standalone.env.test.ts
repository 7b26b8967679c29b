import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { subjects } from '@nm/contracts';
import { aggregatorFedInline, heapGrowthFlag, INLINE_HOPS, MAIN_THREAD_SENDER_CONCURRENCY, parseStandaloneEnv, placementFor, STAGE_NAMES, withMainThreadSenderConcurrency } from './standalone.js';

const base = { NM_SECRET_KEY: 'standalone-env-test-key' };

describe('parseStandaloneEnv', () => {
  it("reads every service's settings, as each service does alone", () => {
    const env = parseStandaloneEnv({
      ...base,
      NM_SENDER_MAX_ATTEMPTS: '3',
      NM_SENDER_CONCURRENCY: '2',
      NM_SLACK_API_URL: 'http://127.0.0.1:9/slack',
      NM_DINGTALK_API_URL: 'http://127.0.0.1:9/dingtalk',
      NM_TENCENT_SMS_URL: 'http://127.0.0.1:9/tencent',
      NM_PUSHOVER_API_URL: 'http://127.0.0.1:9/pushover/1',
      NM_TELEGRAM_API_URL: 'http://127.0.0.1:9/telegram/',
      NM_FEISHU_API_URL: 'http://127.0.0.1:9/feishu/',
      NM_INHIBIT_SOURCE_TTL_SECONDS: '60',
      NM_TENANT_SIDECAR_URL: 'http://sidecar:19094',
      NM_INGEST_MAX_BODY_BYTES: '1024',
      NM_AGGREGATOR_MAX_GROUPS: '10',
      NM_CONFIG_POLL_MS: '250',
    }) as Record<string, unknown>;
    expect(env).toMatchObject({
      NM_SENDER_MAX_ATTEMPTS: 3,
      NM_SENDER_CONCURRENCY: 2,
      NM_SLACK_API_URL: 'http://127.0.0.1:9/slack/',
      NM_DINGTALK_API_URL: 'http://127.0.0.1:9/dingtalk/',
      NM_TENCENT_SMS_URL: 'http://127.0.0.1:9/tencent/',
      NM_PUSHOVER_API_URL: 'http://127.0.0.1:9/pushover/1/',
      NM_TELEGRAM_API_URL: 'http://127.0.0.1:9/telegram/',
      NM_FEISHU_API_URL: 'http://127.0.0.1:9/feishu/',
      NM_INHIBIT_SOURCE_TTL_SECONDS: 60,
      NM_TENANT_SIDECAR_URL: 'http://sidecar:19094',
      NM_INGEST_MAX_BODY_BYTES: 1024,
      NM_AGGREGATOR_MAX_GROUPS: 10,
      NM_CONFIG_POLL_MS: 250,
      NM_INGEST_PORT: 19093,
    });
  });

  it('defaults what is not set, the vendor URLs included', () => {
    expect(parseStandaloneEnv(base)).toMatchObject({ NM_SENDER_MAX_ATTEMPTS: 12, NM_SLACK_API_URL: 'https://slack.com/api/', NM_PUSHOVER_API_URL: 'https://api.pushover.net/1/', NM_TELEGRAM_API_URL: 'https://api.telegram.org/', NM_INHIBIT_SOURCE_TTL_SECONDS: 86400 });
  });

  it('refuses a bad setting of any service in one line naming each variable', () => {
    expect(() => parseStandaloneEnv({ ...base, NM_SENDER_MAX_ATTEMPTS: '-1', NM_FEISHU_API_URL: 'ftp://x' })).toThrow(
      /^invalid environment: .*NM_SENDER_MAX_ATTEMPTS: .*; NM_FEISHU_API_URL: must be an http\(s\) URL$/,
    );
  });

  it('reads NM_STANDALONE_WORKERS: min(cores, 4) - 1 by default, 0 or more', () => {
    expect(parseStandaloneEnv(base).NM_STANDALONE_WORKERS).toBe(Math.min(availableParallelism(), 4) - 1);
    expect(parseStandaloneEnv({ ...base, NM_STANDALONE_WORKERS: '0' }).NM_STANDALONE_WORKERS).toBe(0);
    expect(parseStandaloneEnv({ ...base, NM_STANDALONE_WORKERS: '3' }).NM_STANDALONE_WORKERS).toBe(3);
    for (const bad of ['-1', '1.5', 'two']) expect(() => parseStandaloneEnv({ ...base, NM_STANDALONE_WORKERS: bad })).toThrow(/^invalid environment: NM_STANDALONE_WORKERS: /);
  });

  it('reads NM_STANDALONE_HANDOFF: on by default, off or verify', () => {
    expect(parseStandaloneEnv(base).NM_STANDALONE_HANDOFF).toBe('on');
    for (const v of ['on', 'off', 'verify'] as const) expect(parseStandaloneEnv({ ...base, NM_STANDALONE_HANDOFF: v }).NM_STANDALONE_HANDOFF).toBe(v);
    expect(() => parseStandaloneEnv({ ...base, NM_STANDALONE_HANDOFF: 'yes' })).toThrow(/^invalid environment: NM_STANDALONE_HANDOFF: /);
  });

  it('reads NM_STANDALONE_HEAP_GROWING_PERCENT: 30 by default, 0 to 300', () => {
    expect(parseStandaloneEnv(base).NM_STANDALONE_HEAP_GROWING_PERCENT).toBe(30);
    for (const v of [0, 20, 300]) expect(parseStandaloneEnv({ ...base, NM_STANDALONE_HEAP_GROWING_PERCENT: String(v) }).NM_STANDALONE_HEAP_GROWING_PERCENT).toBe(v);
    for (const bad of ['-1', '1.5', '301', 'half']) expect(() => parseStandaloneEnv({ ...base, NM_STANDALONE_HEAP_GROWING_PERCENT: bad })).toThrow(/^invalid environment: NM_STANDALONE_HEAP_GROWING_PERCENT: /);
  });

  it('reads NM_STANDALONE_INLINE: on by default, or off', () => {
    expect(parseStandaloneEnv(base).NM_STANDALONE_INLINE).toBe('on');
    expect(parseStandaloneEnv({ ...base, NM_STANDALONE_INLINE: 'off' }).NM_STANDALONE_INLINE).toBe('off');
    expect(() => parseStandaloneEnv({ ...base, NM_STANDALONE_INLINE: 'true' })).toThrow(/^invalid environment: NM_STANDALONE_INLINE: /);
  });
});

describe('INLINE_HOPS', () => {
  it('chains silencer → router → aggregator only: ingest → silencer and aggregator → senders stay durable', () => {
    expect(INLINE_HOPS).toEqual([
      { from: subjects.alertsIngested, to: subjects.alertsAdmitted },
      { from: subjects.alertsAdmitted, to: subjects.alertsRouted },
    ]);
  });
});

describe('placementFor', () => {
  const senders = STAGE_NAMES.filter((s) => s.startsWith('sender-'));
  it('places every stage exactly once, on the main thread or one of the workers, for any number of them', () => {
    expect(placementFor(0)).toEqual({ main: STAGE_NAMES, workers: [] });
    for (const n of [1, 2, 3, 4, 16]) {
      const { main, workers } = placementFor(n);
      expect(workers).toHaveLength(Math.min(n, 3));
      expect([...main, ...workers.flat()].sort()).toEqual([...STAGE_NAMES].sort());
    }
  });

  it('keeps the inline chain on one worker and puts the senders on the main thread with one worker, on a worker of their own with more', () => {
    expect(placementFor(1)).toEqual({ main: senders, workers: [['silencer', 'router', 'aggregator']] });
    expect(placementFor(2)).toEqual({ main: [], workers: [['silencer', 'router', 'aggregator'], senders] });
    expect(placementFor(3).main).toEqual([]);
    expect(placementFor(3).workers[2]).toEqual(senders);
  });
});

describe('aggregatorFedInline', () => {
  it('gives ingest\'s state to the aggregator only where silencer, router and aggregator share a thread with the hops inline', () => {
    const on = { NM_STANDALONE_INLINE: 'on' as const };
    expect(aggregatorFedInline(placementFor(0).main, on)).toBe(true);
    expect(aggregatorFedInline(placementFor(1).workers[0]!, on)).toBe(true);
    expect(aggregatorFedInline(placementFor(2).workers[0]!, on)).toBe(true);
    expect(aggregatorFedInline(placementFor(1).main, on)).toBe(false); // the senders
    // three workers: the aggregator's input is the routed stream, whose sequences are not ingest's
    for (const group of placementFor(3).workers) expect(aggregatorFedInline(group, on)).toBe(false);
    expect(aggregatorFedInline(placementFor(1).workers[0]!, { NM_STANDALONE_INLINE: 'off' })).toBe(false);
  });
});

describe('withMainThreadSenderConcurrency', () => {
  const own = (env: object): { c?: number; beside?: number } => {
    const e = env as { NM_SENDER_CONCURRENCY?: number; NM_SENDER_CONCURRENCY_BESIDE_INGEST?: number };
    return { c: e.NM_SENDER_CONCURRENCY, beside: e.NM_SENDER_CONCURRENCY_BESIDE_INGEST };
  };
  it('limits the senders on the main thread to 16 at once while ingest is busy, and keeps either variable when one is set', () => {
    expect(MAIN_THREAD_SENDER_CONCURRENCY).toBe(16);
    const unset = parseStandaloneEnv(base);
    expect(own(unset)).toEqual({ c: undefined, beside: undefined });
    // the channel's own number while ingest is idle, 16 while it is busy
    expect(own(withMainThreadSenderConcurrency(unset))).toEqual({ c: undefined, beside: 16 });
    expect(own(unset)).toEqual({ c: undefined, beside: undefined }); // the parsed environment itself is not changed
    expect(own(withMainThreadSenderConcurrency(parseStandaloneEnv({ ...base, NM_SENDER_CONCURRENCY: '48' })))).toEqual({ c: 48, beside: undefined });
    expect(own(withMainThreadSenderConcurrency(parseStandaloneEnv({ ...base, NM_SENDER_CONCURRENCY_BESIDE_INGEST: '8' })))).toEqual({ c: undefined, beside: 8 });
  });
});

describe('heapGrowthFlag', () => {
  /**
   * Peak heap of a child process that keeps a sliding window of objects long enough to be promoted,
   * then drops them (what the stages do with held alerts), after `setFlagsFromString(flag)`.
   */
  const peakHeapMiB = (flag: string | undefined, where: 'main' | 'worker'): number => {
    const churn = `
      const held = new Array(100000);
      let peak = 0;
      for (let i = 0; i < 1000000; i++) {
        held[i % held.length] = { text: 'x'.repeat(200) + i, list: [i, i + 1], nested: { i } };
        if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
      }`;
    const script = `
      import { setFlagsFromString } from 'node:v8';
      import { Worker } from 'node:worker_threads';
      if (process.argv[1]) setFlagsFromString(process.argv[1]);
      if (process.argv[2] === 'worker') {
        // the flag was set on the main thread; the worker's heap must follow it too
        const w = new Worker(${JSON.stringify(`import { parentPort } from 'node:worker_threads';\n${churn}\nparentPort.postMessage(peak);`)}, { eval: true });
        w.on('message', (peak) => process.stdout.write(String(peak / 1048576)));
      } else {
        ${churn}
        process.stdout.write(String(peak / 1048576));
      }`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script, flag ?? '', where], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    return Number(out.stdout);
  };

  it('is the V8 flag that makes every heap of the process collect its promoted garbage sooner, on worker threads too; none for 0', () => {
    expect(heapGrowthFlag(0)).toBeUndefined();
    // measured 225 against 119 MiB on the main thread, 229 against 119 on a worker: V8's adaptive
    // factor lets the old generation grow further
    for (const where of ['main', 'worker'] as const) {
      const adaptive = peakHeapMiB(heapGrowthFlag(0), where);
      const fixed = peakHeapMiB(heapGrowthFlag(50), where);
      expect(fixed).toBeGreaterThan(0);
      expect(fixed).toBeLessThan(adaptive * 0.85);
    }
  }, 60_000);
});
