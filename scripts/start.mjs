#!/usr/bin/env node
// `npm start`: the whole pipeline on this machine, with examples/config and a demo receiver.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNats, ensureRedis } from './local-services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const local = join(root, '.local');
mkdirSync(local, { recursive: true });
const log = (m) => process.stdout.write(`[start] ${m}\n`);
const children = [];

function stopAll(code = 0) {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function main() {
  const entry = join(root, 'apps/standalone/dist/main.js');
  if (!existsSync(entry) || process.env.NM_REBUILD === '1') {
    log('building (first run)…');
    const r = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
  }
  const nats = await ensureNats(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', local);
  if (nats.child) children.push(nats.child);
  log(`NATS:  ${nats.url}${nats.started ? ' (private nats-server started)' : ' (reused)'}`);
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', local);
  if (redis.child) children.push(redis.child);
  log(`Redis: ${redis.url}${redis.started ? ' (private redis-server started)' : ' (reused)'}`);

  const keyFile = join(local, 'secret-key');
  if (!process.env.NM_SECRET_KEY && !existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const secretKey = process.env.NM_SECRET_KEY ?? readFileSync(keyFile, 'utf8').trim();
  const configDir = resolve(process.env.NM_CONFIG_DIR ?? join(root, 'examples/config'));
  const port = process.env.NM_INGEST_PORT ?? '19093';

  const demo = spawn(process.execPath, [join(root, 'scripts/demo-receiver.mjs')], { stdio: 'inherit' });
  children.push(demo);
  const app = spawn(process.execPath, [entry], {
    stdio: 'inherit',
    env: {
      ...process.env,
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      NM_SECRET_KEY: secretKey,
      NM_CONFIG_DIR: configDir,
      NM_INGEST_PORT: port,
      NM_INGEST_HOST: process.env.NM_INGEST_HOST ?? '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  children.push(app);
  app.on('exit', (code) => {
    log(`notification manager exited (${code})`);
    stopAll(code ?? 1);
  });

  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/-/ready`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`ready: http://127.0.0.1:${port}  (config: ${configDir})`);
  log(`try:   curl -XPOST -H 'content-type: application/json' http://127.0.0.1:${port}/api/v2/alerts -d '[{"labels":{"alertname":"Demo","namespace":"team-a","severity":"warning"},"annotations":{"message":"hello"}}]'`);
  log('Ctrl-C stops everything.');
}

main().catch((err) => {
  process.stderr.write(`[start] ${err.message}\n`);
  stopAll(1);
});
