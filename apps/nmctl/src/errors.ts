/** Exit codes of nmctl. */
export const EXIT = {
  ok: 0,
  /** The manifests have errors. */
  problems: 1,
  /** Bad arguments or unreadable input. */
  usage: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const CLI_ERROR_CODES = {
  /** The command line is wrong (unknown flag, missing argument, bad value). */
  usage: 'USAGE',
  /** An input file cannot be read or does not have the expected shape. */
  input: 'INPUT',
} as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[keyof typeof CLI_ERROR_CODES];

/** An error a command reports as one message and exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string): CliError => new CliError(CLI_ERROR_CODES.usage, message);
export const inputError = (message: string, cause?: unknown): CliError => new CliError(CLI_ERROR_CODES.input, message, { cause });
