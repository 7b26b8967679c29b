import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server on a free loopback port with nothing persisted (unless `persist`). */
export async function startRedis(opts: { bin?: string; persist?: boolean } = {}): Promise<PrivateRedis> {
  const bin = opts.bin ?? process.env.NM_REDIS_SERVER_BIN ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'nm-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (attempt = 0): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''];
    args.push('--appendonly', opts.persist ? 'yes' : 'no');
    if (opts.persist) args.push('--appendfsync', 'always');
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let timer: NodeJS.Timeout | undefined;
    const ok = await new Promise<boolean>((resolve) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (/ready to accept connections/i.test(out)) resolve(true);
      };
      c.stdout?.on('data', onData);
      c.once('exit', () => resolve(false));
      c.once('error', () => resolve(false));
      timer = setTimeout(() => resolve(false), 10000);
    });
    clearTimeout(timer);
    c.stdout?.resume();
    c.stderr?.resume();
    if (!ok) {
      c.kill('SIGKILL');
      if (attempt < 3) {
        port = await freePort();
        return launch(attempt + 1);
      }
      throw new Error(`redis-server did not start (is ${bin} installed?)`);
    }
  };
  await launch();

  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    kill9: () => exit('SIGKILL'),
    restart: async () => {
      await exit('SIGKILL');
      await launch();
    },
    stop: async () => {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
