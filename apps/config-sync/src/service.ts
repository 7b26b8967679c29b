import { ConfigStoreWriter } from '@nm/config-store';
import type { Runtime } from '@nm/service-kit';
import { DirectorySync } from './directory.sync.js';
import { SenderLiveness, type SenderLivenessOptions } from './sender.coverage.js';

export interface ConfigSyncOptions {
  configDir: string;
  pollMs?: number;
  /** Checks that the channels the Receivers use have a live sender (heartbeats). */
  senderLiveness?: SenderLivenessOptions;
}

export async function startConfigSync(rt: Runtime, opts: ConfigSyncOptions): Promise<{ stop(): Promise<void> }> {
  const liveness = new SenderLiveness(rt.redis, rt.logger, rt.metrics, opts.senderLiveness);
  const sync = new DirectorySync(opts.configDir, new ConfigStoreWriter(rt.redis, rt.secretBox), rt.logger, rt.metrics, opts.pollMs, (revision, objects) =>
    liveness.update(revision, objects),
  );
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
