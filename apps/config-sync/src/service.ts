import { ConfigStoreWriter } from '@nm/config-store';
import type { Runtime } from '@nm/service-kit';
import { DirectorySync } from './directory.sync.js';

export interface ConfigSyncOptions {
  configDir: string;
  pollMs?: number;
}

export async function startConfigSync(rt: Runtime, opts: ConfigSyncOptions): Promise<{ stop(): Promise<void> }> {
  const sync = new DirectorySync(opts.configDir, new ConfigStoreWriter(rt.redis, rt.secretBox), rt.logger, rt.metrics, opts.pollMs);
  await sync.start();
  rt.logger.info({ dir: opts.configDir }, 'config-sync watching directory');
  return { stop: () => Promise.resolve(sync.stop()) };
}
