import { ConfigStoreWriter } from '@nm/config-store';
import type { Runtime } from '@nm/service-kit';
import { ConfigMirror } from './config.mirror.js';
import { ClusterNameSource, detectKubesphereClusterName } from './cluster.name.js';
import { DirectorySync } from './directory.sync.js';
// types only: the Kubernetes client (~70 MiB of memory) is loaded in Kubernetes mode alone
import type { KubernetesSync, KubernetesSyncOptions } from './kubernetes/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { SenderLiveness, type SenderLivenessOptions } from './sender.coverage.js';

export interface ConfigSyncOptions {
  /** Directory mode: the directory of manifests (ignored when `kubernetes` is given). */
  configDir?: string;
  pollMs?: number;
  /** Kubernetes mode: the cluster to watch and how. */
  kubernetes?: Omit<KubernetesSyncOptions, 'identity' | 'pollMs'> & { kubeConfig: KubeConfig; identity?: string };
  /** `NM_CLUSTER_NAME`: this cluster's name, instead of the one found in KubeSphere's configuration. */
  clusterName?: string | undefined;
  /** Checks that the channels the Receivers use have a live sender (heartbeats). */
  senderLiveness?: SenderLivenessOptions;
}

export interface ConfigSyncHandle {
  stop(): Promise<void>;
  /** Kubernetes mode only: the running sync (leadership, watches). */
  readonly kubernetes?: KubernetesSync;
}

export async function startConfigSync(rt: Runtime, opts: ConfigSyncOptions): Promise<ConfigSyncHandle> {
  const liveness = new SenderLiveness(rt.redis, rt.logger, rt.metrics, opts.senderLiveness);
  const writer = new ConfigStoreWriter(rt.redis, rt.secretBox);
  const onMirrored = (revision: number, objects: Parameters<SenderLiveness['update']>[1]): void => liveness.update(revision, objects);

  if (opts.kubernetes) {
    const { kubeConfig, identity, ...k } = opts.kubernetes;
    const { kubeApis, KubernetesSync } = await import('./kubernetes/index.js');
    const apis = kubeApis(kubeConfig);
    const clusterName = new ClusterNameSource(rt.logger, { override: opts.clusterName, detect: () => detectKubesphereClusterName(apis.core, rt.logger) });
    const sync = new KubernetesSync(
      apis,
      new ConfigMirror(writer, rt.logger, rt.metrics, onMirrored, clusterName),
      rt.logger,
      rt.metrics,
      { ...k, identity: identity ?? rt.instance, pollMs: opts.pollMs },
      // Only the leader writes, so only the leader checks the senders' heartbeats.
      { onStartedLeading: () => liveness.start(), onStoppedLeading: () => liveness.stop() },
    );
    rt.health.addCheck({ name: 'kubernetes (configuration listed from the API server)', check: () => sync.listed });
    sync.start();
    rt.logger.info({ server: kubeConfig.getCurrentCluster()?.server, namespace: k.namespace }, 'config-sync watching the Kubernetes API');
    return {
      kubernetes: sync,
      stop: async () => {
        liveness.stop();
        await sync.stop();
      },
    };
  }

  if (!opts.configDir) throw new Error('config-sync needs a directory of manifests (configDir) or a Kubernetes cluster');
  const clusterName = opts.clusterName ? new ClusterNameSource(rt.logger, { override: opts.clusterName }) : undefined;
  const sync = new DirectorySync(opts.configDir, writer, rt.logger, rt.metrics, opts.pollMs, onMirrored, clusterName);
  await sync.start();
  liveness.start();
  rt.logger.info({ dir: opts.configDir }, 'config-sync watching directory');
  return {
    stop: () => {
      liveness.stop();
      sync.stop();
      return Promise.resolve();
    },
  };
}
