/** Errors thrown by the model. Each has a stable `code`; callers branch on `instanceof` or `code`. */
export class ModelError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A duration that is neither a Go duration string nor a non-negative integer of nanoseconds. */
export class InvalidDurationError extends ModelError {
  constructor(readonly input: unknown, detail: string) {
    super('INVALID_DURATION', `invalid duration ${JSON.stringify(input)}: ${detail}`);
  }
}

/** A regex (`Match`'s `regexValue`, a Router's `regexName`) that does not compile. */
export class InvalidRegexError extends ModelError {
  constructor(readonly pattern: string, cause: unknown) {
    super('INVALID_REGEX', `invalid regex ${JSON.stringify(pattern)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A Silence `schedule` that is not a standard cron expression or descriptor. */
export class InvalidScheduleError extends ModelError {
  constructor(readonly schedule: string, detail: string, cause?: unknown) {
    super('INVALID_SCHEDULE', `invalid schedule ${JSON.stringify(schedule)}: ${detail}`, { cause });
  }
}
