import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './helm.support.js';

/**
 * The Dockerfile and docker-compose.yml, checked without a Docker engine: their structure, and
 * that everything they name exists in the repository.
 */
const APPS = readdirSync(join(REPO, 'apps')).filter((d) => existsSync(join(REPO, 'apps', d, 'package.json')));
const SERVICES = APPS.filter((a) => a !== 'standalone' && a !== 'nmctl');

describe('Dockerfile', () => {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  const stages = lines.filter((l) => l.startsWith('FROM '));

  it('builds in three stages: turbo prune, npm ci + build + production dependencies, runtime', () => {
    expect(stages).toEqual(['FROM ${NODE_IMAGE} AS prune', 'FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
    expect(text).toMatch(/turbo prune "\$\(node -p "require\('\.\/apps\/\$\{APP\}\/package\.json'\)\.name"\)" --docker/);
    expect(text).toContain('RUN npm ci --no-audit --no-fund');
    expect(text).toContain('npm prune --omit=dev');
    expect(text).toContain('COPY --from=prune /repo/tsconfig.base.json ./');
  });

  it('installs the turbo version of the lockfile (the one the repository builds with)', () => {
    expect(text).toContain("turbo@$(node -p \"require('./package-lock.json').packages['node_modules/turbo'].version\")");
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(lock.packages['node_modules/turbo']?.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs as the unprivileged user node, with no secret baked in', () => {
    const runtime = text.slice(text.lastIndexOf('FROM ${NODE_IMAGE}\n'));
    expect(runtime).toContain('USER node');
    expect(runtime).toContain('ENTRYPOINT ["node", "--single-threaded-gc", "/app/main.js"]');
    expect(text).not.toMatch(/NM_SECRET_KEY\s*=/);
  });

  it('has an entry point for every app (dist/main.js from src/main.ts, or bin/<app>.js) and a default APP that exists', () => {
    for (const app of APPS) {
      const hasMain = existsSync(join(REPO, 'apps', app, 'src/main.ts'));
      const hasBin = existsSync(join(REPO, 'apps', app, 'bin', `${app}.js`));
      expect([app, hasMain || hasBin]).toEqual([app, true]);
    }
    for (const m of text.matchAll(/ARG APP=(\S+)/g)) expect(APPS).toContain(m[1]);
  });

  it('leaves node_modules and build output of the host out of the build context', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });
});

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  read_only?: boolean;
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const text = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const services = compose.services;

  it('runs every service of apps/ from the Dockerfile, with its APP', () => {
    const built = Object.entries(services)
      .filter(([, s]) => s.build)
      .map(([name, s]) => [name, s.build!.args?.['APP']]);
    expect(built.map(([n]) => n).sort()).toEqual([...SERVICES].sort());
    for (const [name, app] of built) expect(app).toBe(name);
  });

  it('has NATS with JetStream on a volume, Redis, a mail catcher and the demo receiver', () => {
    expect(services['nats']!.command).toEqual(expect.arrayContaining(['--jetstream', '--store_dir', '/data']));
    expect(services['nats']!.volumes).toEqual(['nats-data:/data']);
    expect(Object.keys(compose.volumes)).toContain('nats-data');
    expect(services['redis']!.image).toMatch(/^redis:/);
    expect(services['mailpit']!.image).toMatch(/mailpit/);
    expect(services['demo-receiver']!.volumes).toEqual(['./scripts/demo-receiver.mjs:/demo/demo-receiver.mjs:ro']);
    expect(existsSync(join(REPO, 'scripts/demo-receiver.mjs'))).toBe(true);
  });

  it('gives every container a healthcheck, and every dependency waits for service_healthy', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, Array.isArray(s.healthcheck?.test)]).toEqual([name, true]);
      for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
        expect([name, dep, d.condition]).toEqual([name, dep, 'service_healthy']);
        expect(Object.keys(services)).toContain(dep);
      }
    }
    for (const name of SERVICES) expect([name, Object.keys(services[name]!.depends_on ?? {})]).toEqual([name, expect.arrayContaining(['nats', 'redis'])]);
    expect(Object.keys(services['sender-email']!.depends_on!)).toContain('mailpit');
    expect(Object.keys(services['sender-webhook']!.depends_on!)).toContain('demo-receiver');
  });

  it("checks each service's /-/ready on its own port (ingest 19093, the others NM_HEALTH_PORT 8080)", () => {
    for (const name of SERVICES) {
      const port = name === 'ingest' ? 19093 : 8080;
      expect([name, services[name]!.healthcheck!.test.join(' ')]).toEqual([name, expect.stringContaining(`http://127.0.0.1:${port}/-/ready`)]);
    }
  });

  it('has no shared default NM_SECRET_KEY: compose refuses to start without one', () => {
    for (const name of SERVICES) {
      expect([name, services[name]!.environment?.['NM_SECRET_KEY']]).toEqual([name, expect.stringMatching(/^\$\{NM_SECRET_KEY:\?[^}]+\}$/)]);
    }
    expect(text).not.toMatch(/NM_SECRET_KEY:-/);
  });

  it('runs config-sync in directory mode on examples/compose-config', () => {
    const cs = services['config-sync']!;
    expect(cs.environment).toMatchObject({ NM_CONFIG_SOURCE: 'directory', NM_CONFIG_DIR: '/config' });
    expect(cs.volumes).toEqual(['./examples/compose-config:/config:ro']);
    expect(readdirSync(join(REPO, 'examples/compose-config')).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
  });

  it("runs the image's script with garbage collection on the service's own thread, as the chart does", () => {
    for (const name of SERVICES) expect([name, services[name]!.entrypoint]).toEqual([name, ['node', '--single-threaded-gc', '/app/main.js']]);
  });

  it('runs the services with a read-only root filesystem', () => {
    for (const name of SERVICES) expect([name, services[name]!.read_only]).toEqual([name, true]);
  });
});
