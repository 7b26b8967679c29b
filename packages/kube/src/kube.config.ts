import { KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

/**
 * The kubeconfig: the files in `KUBECONFIG` when it is set, else the pod's service account when
 * running in a cluster (`KUBERNETES_SERVICE_HOST`), else `~/.kube/config`.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (env['KUBECONFIG']) kc.loadFromDefault();
  else if (env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster in the kubeconfig (set KUBECONFIG or run in a cluster)');
  return kc;
}

/** The HTTP status of an error from the client (API exceptions and failed watches), if any. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** One line for a client error: status and message, or the network error code. */
export function describeError(err: unknown): string {
  const status = statusOf(err);
  const e = err as { message?: unknown; code?: unknown; body?: unknown };
  let message = typeof e?.message === 'string' ? e.message : String(err);
  const body = e?.body;
  if (status !== undefined && typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // not a Status body
    }
  } else if (status !== undefined && typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    message = (body as { message: string }).message;
  }
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return status !== undefined ? `HTTP ${status}: ${message.split('\n')[0]}` : `${message.split('\n')[0]}${code}`;
}

/** The list call of an informer: one page of every object of a kind (in one namespace or all). */
export type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;
