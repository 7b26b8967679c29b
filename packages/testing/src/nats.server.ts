import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './free-port.js';

export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The HTTP monitoring port (`/varz`, `/connz`, `/jsz`) on 127.0.0.1, when asked for with `monitor: true`. */
  readonly monitorPort?: number;
  /** SIGKILL the server (JetStream data stays on disk). */
  kill9(): Promise<void>;
  /** Start again on the same port with the same store. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function exitOf(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A nats-server with JetStream on a free loopback port, in its own temp dir. */
export async function startNats(opts: { bin?: string; monitor?: boolean } = {}): Promise<PrivateNats> {
  const bin = opts.bin ?? process.env.NM_NATS_SERVER_BIN ?? 'nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'nm-nats-'));
  const storeDir = join(dir, 'store');
  const port = await freePort();
  const monitorPort = opts.monitor ? await freePort() : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-l', join(dir, 'nats.log')];
  if (monitorPort !== undefined) args.push('-m', String(monitorPort)); // binds to the -a address
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    child = spawn(bin, args, {
      stdio: 'ignore',
    });
    const c = child;
    c.once('error', () => undefined);
    await waitFor(`nats-server on ${port}`, async () => {
      if (c.exitCode !== null) throw new Error(`nats-server exited with ${c.exitCode} (see ${dir}/nats.log)`);
      return portOpen(port);
    });
  };
  await launch();

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    ...(monitorPort !== undefined ? { monitorPort } : {}),
    kill9: async () => {
      if (child) await exitOf(child, 'SIGKILL');
    },
    restart: async () => {
      if (child) await exitOf(child, 'SIGKILL');
      await launch();
    },
    stop: async () => {
      if (child) await exitOf(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
