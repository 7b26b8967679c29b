import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helm.support.js';

/**
 * `npm ci` (in .ci/run and in the Dockerfile) installs exactly package-lock.json, on any platform:
 * so the lock must list every workspace with the dependencies of its package.json, and every
 * optional dependency (the per-platform binaries of @swc/core, turbo, ...) must be resolvable.
 */
interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] };

/** Where node would find `name` from the package at `from` (walking up node_modules folders). */
function resolves(from: string, name: string): boolean {
  let base = from;
  for (;;) {
    if (lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (!base) return false;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

describe('package-lock.json', () => {
  it('is a lockfile v3', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it('lists every optional dependency of every package (other platforms\' binaries included)', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) if (!resolves(path, dep)) missing.push(`${path || '<root>'} -> ${dep}`);
    }
    expect(missing).toEqual([]);
    expect(Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/@swc/core-')).length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(lock.packages).filter((p) => /^node_modules\/@turbo\/(linux|darwin|windows)/.test(p)).length).toBe(6);
  });

  it('has every workspace, with the dependencies its package.json declares', () => {
    const dirs = root.workspaces.flatMap((w) =>
      w.endsWith('/*') ? readdirSync(join(REPO, w.slice(0, -2)), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${w.slice(0, -2)}/${d.name}`) : [w],
    );
    for (const dir of dirs) {
      let pkg: { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      try {
        pkg = JSON.parse(readFileSync(join(REPO, dir, 'package.json'), 'utf8')) as typeof pkg;
      } catch {
        continue;
      }
      const entry = lock.packages[dir];
      expect([dir, entry !== undefined]).toEqual([dir, true]);
      expect([dir, entry!.dependencies ?? {}]).toEqual([dir, pkg.dependencies ?? {}]);
      expect([dir, entry!.devDependencies ?? {}]).toEqual([dir, pkg.devDependencies ?? {}]);
      expect(lock.packages[`node_modules/${pkg.name}`]).toEqual({ resolved: dir, link: true });
    }
  });
});
