import type { Writable } from 'node:stream';

/** Where a command writes: results to `stdout`, diagnostics and summaries to `stderr`. */
export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
}

/** A command: its arguments (after the command name) in, exit code out. */
export type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
