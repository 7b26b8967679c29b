import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubeconfigOptions {
  /** API server URL, e.g. a fake's `url`. */
  server: string;
  /** Bearer token of the user (default `test-token`). */
  token?: string;
  /** Directory to write into (default: a new temp directory). */
  dir?: string;
  /** Namespace of the context. */
  namespace?: string;
}

/** Writes a kubeconfig with one cluster, user and current context pointing at `server`; returns its path. */
export function writeKubeconfig(opts: KubeconfigOptions): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'nm-kubeconfig-'));
  const path = join(dir, 'kubeconfig');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: fake',
    '    cluster:',
    `      server: ${JSON.stringify(opts.server)}`,
    // @kubernetes/client-node refuses plain http unless TLS verification is off for the cluster.
    ...(opts.server.startsWith('http://') ? ['      insecure-skip-tls-verify: true'] : []),
    'users:',
    '  - name: fake-user',
    '    user:',
    `      token: ${JSON.stringify(opts.token ?? 'test-token')}`,
    'contexts:',
    '  - name: fake',
    '    context:',
    '      cluster: fake',
    '      user: fake-user',
    ...(opts.namespace ? [`      namespace: ${JSON.stringify(opts.namespace)}`] : []),
    'current-context: fake',
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
