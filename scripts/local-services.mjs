// Finds or starts NATS (with JetStream) and Redis for local runs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

export function reachable(url, timeoutMs = 700) {
  return new Promise((resolve) => {
    let u;
    try {
      u = new URL(url.split(',')[0]);
    } catch {
      return resolve(false);
    }
    const s = createConnection({ host: u.hostname, port: Number(u.port) });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

function anyPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A free loopback port that is none of `avoid` (ports this script will bind later itself). */
export async function freePort(avoid = []) {
  for (let i = 0; i < 20; i++) {
    const port = await anyPort();
    if (!avoid.includes(port)) return port;
  }
  throw new Error(`no free port outside ${avoid.join(', ')}`);
}

/**
 * The port for a private server standing in for `url`: the URL's own port when it names a loopback
 * address with an explicit, currently free port (the user asked for that address), else a free one.
 */
async function privatePort(url, avoid) {
  try {
    const u = new URL(url);
    const port = Number(u.port);
    if (port > 0 && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !avoid.includes(port) && (await bindable(port))) return port;
  } catch {
    // not a URL: fall through to a free port
  }
  return freePort(avoid);
}

function bindable(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function waitReachable(url, what) {
  for (let i = 0; i < 100; i++) {
    if (await reachable(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start at ${url}`);
}

/**
 * Returns {url, started, child?}: the given server when reachable, else a private one under `dir`
 * (on the given URL's port when it is a free loopback one; never on a port of `avoid`).
 * Private servers run in a process group of their own (a Ctrl-C in the terminal does not stop
 * them before the services using them drained); `onSpawn(child)` is called as soon as one is spawned.
 */
export async function ensureNats(url, dir, onSpawn = () => undefined, avoid = []) {
  if (await reachable(url)) return { url, started: false };
  if (!onPath('nats-server')) {
    throw new Error('nats-server not found. Install it (Debian/Ubuntu: sudo apt-get install -y nats-server) or set NATS_URL.');
  }
  const port = await privatePort(url, avoid);
  mkdirSync(join(dir, 'nats'), { recursive: true });
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats'), '-l', join(dir, 'nats.log')], { stdio: 'ignore', detached: true });
  onSpawn(child);
  const privateUrl = `nats://127.0.0.1:${port}`;
  await waitReachable(privateUrl, 'nats-server');
  return { url: privateUrl, child, started: true };
}

/** Like {@link ensureNats}, for Redis. */
export async function ensureRedis(url, dir, onSpawn = () => undefined, avoid = []) {
  if (await reachable(url)) return { url, started: false };
  if (!onPath('redis-server')) {
    throw new Error('redis-server not found. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or set REDIS_URL.');
  }
  const port = await privatePort(url, avoid);
  mkdirSync(join(dir, 'redis'), { recursive: true });
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', join(dir, 'redis'), '--save', '', '--appendonly', 'yes'], { stdio: 'ignore', detached: true });
  onSpawn(child);
  const privateUrl = `redis://127.0.0.1:${port}`;
  await waitReachable(privateUrl, 'redis-server');
  return { url: privateUrl, child, started: true };
}
