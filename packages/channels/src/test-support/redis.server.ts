/** A private redis-server on a unix socket in a temp dir (never the shared 6379), for tests. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedisSocket {
  path: string;
  connect(): Redis;
  stop(): Promise<void>;
}

export async function startRedisSocket(): Promise<PrivateRedisSocket> {
  const dir = mkdtempSync(join(tmpdir(), 'nm-channels-redis-'));
  const path = join(dir, 'r.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', path, '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready to accept connections/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (e) => reject(e));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  const clients: Redis[] = [];
  return {
    path,
    connect: () => {
      const c = new Redis({ path, maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    },
    stop: async () => {
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
