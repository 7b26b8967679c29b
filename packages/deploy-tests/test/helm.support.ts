import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const CHART = join(REPO, 'charts/notification-manager');

/** helm's own config, cache and data stay in a scratch directory. */
const HOME = mkdtempSync(join(tmpdir(), 'nm-helm-home-'));

export function helmBin(): string {
  const bin = process.env['NM_HELM'];
  if (!bin) throw new Error('NM_HELM is not set: the jest globalSetup (test/global-setup.mjs) provides it');
  return bin;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[]): HelmResult {
  const r = spawnSync(helmBin(), args, {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME, HELM_CACHE_HOME: join(HOME, 'cache'), HELM_CONFIG_HOME: join(HOME, 'config'), HELM_DATA_HOME: join(HOME, 'data') },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** A values file for helm from an object. */
export function valuesFile(values: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nm-values-'));
  const file = join(dir, 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  values?: Record<string, unknown>;
  extraArgs?: string[];
}

/** `helm template` of the chart: the raw text and every object. Throws with helm's message on failure. */
export function render(opts: RenderOptions = {}): { text: string; objects: K8sObject[] } {
  const args = ['template', opts.release ?? 'nm', CHART, '--namespace', opts.namespace ?? 'monitoring'];
  if (opts.values) args.push('-f', valuesFile(opts.values));
  args.push(...(opts.extraArgs ?? []));
  const r = helm(args);
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${r.stderr}`);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(r.stdout)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm template: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return { text: r.stdout, objects };
}

export const byKind = (objects: readonly K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

/** Paths of every null value (a key rendered without a value). */
export function nullPaths(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== undefined) return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  return [];
}

