import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The single process (every thread of it imports `standalone.js`) must not load the Kubernetes
 * client unless it runs in Kubernetes mode or exports events: ~70 MiB of memory per thread. A
 * resolve hook refuses the client's package, so an import that reaches it fails.
 */
const HOOK = `
export async function resolve(specifier, context, next) {
  if (specifier === '@kubernetes/client-node') throw new Error('the Kubernetes client was loaded');
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

function importWithoutKubernetesClient(module: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', `await import(${JSON.stringify(module)});`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('what the single process loads', () => {
  it('imports every stage and its environment schema without the Kubernetes client', () => {
    const r = importWithoutKubernetesClient(fileURLToPath(new URL('../dist/standalone.js', import.meta.url)));
    expect(r.stderr).not.toContain('the Kubernetes client was loaded');
    expect(r.status).toBe(0);
  });

  it('is told apart from a module that does load it (the event exporter)', () => {
    const r = importWithoutKubernetesClient('@nm/event-exporter');
    expect(r.stderr).toContain('the Kubernetes client was loaded');
    expect(r.status).not.toBe(0);
  });
});
