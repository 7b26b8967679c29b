/**
 * The one way a service starts. A service is a {@link ServiceDefinition}: its name, the
 * environment it reads besides the common variables (a zod object), and how it starts on a
 * runtime. `runService` is the whole `main` of a service in its own process; `apps/standalone`
 * starts the same definitions in one process, parsing the union of their environments once, so
 * every setting means the same in both modes.
 */
import type { z } from 'zod';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { CommonEnvSchema, type CommonEnv } from './env.schema.js';
import { onShutdown } from './lifecycle.js';
import { createRuntime, type Runtime } from './runtime.js';

/** A started service. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface ServiceDefinition<S extends z.ZodObject = z.ZodObject> {
  /** The service name: logs, metrics, heartbeats, the NATS connection name. */
  readonly name: string;
  /** The variables the service reads besides `CommonEnvSchema`'s. */
  readonly env: S;
  /** Reads the configuration config-sync mirrors (default true). */
  readonly readConfig?: boolean;
  /** Serves `/-/healthy`, `/-/ready` and `/metrics` itself; otherwise they are served on `NM_HEALTH_PORT`. */
  readonly servesHealth?: boolean;
  start(rt: Runtime, env: z.infer<S>): Promise<Stoppable>;
}

/** The variables of every given service besides the common ones, as one zod shape (to `extend` a schema with). */
export function servicesEnvShape(defs: readonly ServiceDefinition[]): z.ZodRawShape {
  return Object.assign({}, ...defs.map((d) => d.env.shape)) as z.ZodRawShape;
}

/**
 * The `main` of a service: parses the environment once (an invalid one exits 1 with one line
 * naming each bad variable), builds the runtime, serves health and metrics, starts the service,
 * and on SIGTERM/SIGINT stops it, then the runtime (registered before start-up completes, so a
 * signal while it starts still drains it).
 */
export function runService<S extends z.ZodObject>(def: ServiceDefinition<S>, source: NodeJS.ProcessEnv = process.env): void {
  runMain(def.name, async () => {
    const env = parseEnv(CommonEnvSchema.extend(def.env.shape), source) as CommonEnv & z.infer<S>;
    const rt = createRuntime({
      service: def.name,
      natsUrl: env.NATS_URL,
      redisUrl: env.REDIS_URL,
      secretKey: env.NM_SECRET_KEY,
      previousSecretKeys: env.NM_SECRET_KEY_PREVIOUS,
      logLevel: env.LOG_LEVEL,
      ...(def.readConfig === false ? { readConfig: false } : {}),
    });
    const health = def.servesHealth
      ? undefined
      : await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
    // Waits for NATS; the health server already answers meanwhile (not ready until connected).
    const starting = def.start(rt, env);
    onShutdown(rt.logger, async () => {
      const service = await starting.catch(() => undefined);
      await service?.stop();
      await rt.close();
      await health?.close();
    });
    await starting;
  });
}
