import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_DIR, renderCrdFiles } from './render.js';

/**
 * `node dist/generate.js [--check]`: writes the CRDs into charts/notification-manager/crds (and
 * removes generated files of kinds that no longer exist), or with --check only reports drift
 * and exits 1.
 */
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const dir = join(root, CRD_DIR);
const check = process.argv.includes('--check');
const files = renderCrdFiles();
mkdirSync(dir, { recursive: true });
const existing = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const drift: string[] = [];
for (const [name, content] of files) {
  const path = join(dir, name);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  drift.push(name);
  if (!check) writeFileSync(path, content);
}
for (const name of existing) {
  if (files.has(name)) continue;
  drift.push(`${name} (stale)`);
  if (!check) rmSync(join(dir, name));
}
if (check && drift.length > 0) {
  process.stderr.write(`CRDs differ from the model: ${drift.join(', ')}; run npm run generate:crds\n`);
  process.exit(1);
}
process.stdout.write(drift.length === 0 ? `${CRD_DIR}: up to date\n` : `${CRD_DIR}: wrote ${drift.join(', ')}\n`);
