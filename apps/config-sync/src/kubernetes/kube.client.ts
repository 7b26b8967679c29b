import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** The API clients config-sync uses, made from one kubeconfig. */
export interface KubeApis {
  readonly kc: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly coordination: CoordinationV1Api;
}

export function kubeApis(kc: KubeConfig): KubeApis {
  return {
    kc,
    custom: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

// Shared with the event exporter: kubeconfig loading and client error helpers live in @nm/kube.
export { loadKubeConfig, statusOf, describeError } from '@nm/kube';
export type { ListFn } from '@nm/kube';
