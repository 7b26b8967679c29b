import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '@nm/telemetry';
import { freePort, startNats, type PrivateNats } from '@nm/testing';
import { connectBus } from './connection.js';

describe('connectBus logging', () => {
  let nats: PrivateNats;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('logs the NATS URL without the password it holds, connected or retrying', async () => {
    const out: string[] = [];
    const logger = createLogger(
      'bus-test',
      'info',
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          out.push(chunk.toString());
          cb();
        },
      }),
    );
    const password = 'nats-pass-7f3a9c';
    const { port } = new URL(nats.url);
    // nats-server without authorization accepts (and ignores) the credentials
    const bus = await connectBus({ url: `nats://nm:${password}@127.0.0.1:${port}`, name: 'bus-test', logger });
    await bus.close();
    const controller = new AbortController();
    const unreachable = await freePort();
    const failing = connectBus({ url: `nats://nm:${password}@127.0.0.1:${unreachable}`, name: 'bus-test', logger, signal: controller.signal });
    while (!out.join('').includes('nats not reachable')) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(failing).rejects.toThrow();
    const text = out.join('');
    expect(text).not.toContain(password);
    expect(text).toContain(`"url":"nats://127.0.0.1:${port}"`);
    expect(text).toContain(`"url":"nats://127.0.0.1:${unreachable}"`);
  });
});
