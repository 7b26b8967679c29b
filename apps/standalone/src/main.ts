import { onShutdown } from '@nm/service-kit';
import { createLogger, runMain } from '@nm/telemetry';
import { parseStandaloneEnv, startStandalone } from './standalone.js';

runMain('standalone', async () => {
  const env = parseStandaloneEnv();
  const starting = startStandalone(env);
  // Registered before start-up completes: a signal while services start still drains them.
  onShutdown(createLogger('standalone', env.LOG_LEVEL), async () => {
    const app = await starting.catch(() => undefined);
    await app?.stop();
  });
  await starting;
});
