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

export { statusOf, describeError } from './kube.errors.js';

/** The list call of an informer: one page of every object of a kind (in one namespace or all). */
export type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;
