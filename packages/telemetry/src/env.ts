import type { z } from 'zod';

/** Thrown when the environment is invalid; the message is one clear line. */
export class EnvError extends Error {
  readonly code = 'ENV_INVALID';
}

/** Parses env with a zod object schema; on failure throws one line naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const parts = r.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new EnvError(`invalid environment: ${parts.join('; ')}`);
}

/** Runs a service's main and exits with one clear line on startup failure. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${name}: ${msg}\n`);
    process.exit(1);
  });
}
