import type { ConsumerHandle } from '@nm/bus';
import type { Runtime } from './runtime.js';

/**
 * Starts a stage's consumer only once the first configuration snapshot is loaded: a stage that
 * consumed on an empty configuration would admit, route or group a backlog wrongly and ack it.
 * Returns at once; until the configuration arrives the stage pulls nothing and readiness names
 * the missing configuration.
 */
export function consumeWhenConfigured(rt: Runtime, start: () => Promise<ConsumerHandle>): ConsumerHandle {
  let stopped = false;
  const handle = (async (): Promise<ConsumerHandle | undefined> => {
    await rt.configLoaded();
    // A consumer that fails to start (NATS away at that moment) is retried: a stage that silently
    // never consumed would leave its stream to fill.
    for (let attempt = 1; !stopped; attempt++) {
      try {
        return await start();
      } catch (err) {
        rt.logger.error({ err: (err as Error).message, attempt }, 'consumer did not start; retrying');
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6))));
      }
    }
    return undefined;
  })();
  handle.catch((err: unknown) => {
    if (!stopped) rt.logger.error({ err: (err as Error).message }, 'consumer did not start');
  });
  let current: ConsumerHandle | undefined;
  void handle.then((h) => (current = h), () => undefined);
  return {
    inFlight: () => current?.inFlight() ?? 0,
    stop: async (timeoutMs?: number) => {
      stopped = true;
      const h = current ?? (rt.config.isLoaded() ? await handle.catch(() => undefined) : undefined);
      await h?.stop(timeoutMs);
    },
  };
}
