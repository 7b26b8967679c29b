#!/usr/bin/env node
import { runNmctl } from './commands/nmctl.command.js';

process.exitCode = await runNmctl(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
