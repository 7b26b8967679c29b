#!/usr/bin/env node
// Committed launcher so npm links `nmctl` even before the first build; the CLI itself is built to dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('nmctl is not built yet: run `npm run build` at the repository root\n');
  process.exit(2);
}
await import(cli);
