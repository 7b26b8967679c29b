/**
 * Runs the vendor fake as a process:
 *   node dist/vendor-fake/cli.js [--port N] [--config options.json]
 * prints one JSON line `{"url": ..., "urls": {...}}` on stdout once listening, and is driven
 * through its `/_fake/` control API (requests, script, expire-tokens, reset). Stops on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { startVendorFake } from './fake.server.js';
import type { VendorFakeOptions } from './fake.types.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const configPath = argValue('--config');
  const options = (configPath ? JSON.parse(readFileSync(configPath, 'utf8')) : {}) as VendorFakeOptions;
  const port = argValue('--port');
  if (port !== undefined) options.port = Number(port);
  const fake = await startVendorFake(options);
  process.stdout.write(`${JSON.stringify({ url: fake.url, urls: fake.urls })}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`vendor-fake: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
