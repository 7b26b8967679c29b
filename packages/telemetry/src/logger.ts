import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactLogObject, scrubText } from './redact.js';
import { logTraceFields } from './tracing.js';

export type { Logger };

/**
 * The options of every service's logger. Its lines never carry secrets: every logged object and
 * binding goes through `redactLogObject` (credential-like keys at any depth, header values, URL
 * credentials; see redact.ts).
 */
export function loggerOptions(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): LoggerOptions {
  return {
    level,
    // `service` comes from the mixin, once per line: a child naming its own service replaces it
    // (the single-process mode's services) instead of adding a second key.
    base: {},
    mixin: (_obj, _level, logger) => ({ service: serviceOf(logger) ?? service, ...logTraceFields() }),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), bindings: redactLogObject, log: redactLogObject },
    hooks: {
      // messages too: `logger.error(err)` logs err.message as the message
      logMethod(args, method) {
        const scrubbed = args.map((a: unknown) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>;
        const [first, second] = scrubbed as unknown[];
        if (first instanceof Error && typeof second !== 'string') scrubbed.splice(1, 0, scrubText(first.message));
        method.apply(this, scrubbed);
      },
    },
  };
}

const SERVICE = Symbol('nm.service');
type WithService = { [SERVICE]?: string };
const serviceOf = (logger: unknown): string | undefined => (logger as WithService | undefined)?.[SERVICE];

/**
 * A logger with `loggerOptions` (on stdout unless `destination` is given). Child bindings are
 * redacted too: pino does not pass them through the bindings formatter, so `child` is wrapped (its
 * children inherit the wrapper).
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const logger = destination ? pino(loggerOptions(service, level), destination) : pino(loggerOptions(service, level));
  // unbound: a grandchild is made from its own parent (`this`), which inherits this wrapper
  const child = Reflect.get(logger, 'child') as unknown as (this: Logger, b: Bindings, o?: ChildLoggerOptions) => Logger;
  const redactedChild = function (this: Logger, bindings: Bindings, options?: ChildLoggerOptions): Logger {
    const { service: named, ...rest } = bindings;
    const made = child.call(this, redactLogObject(rest), options);
    // a child's service replaces its parent's (one `service` key per line)
    const svc = typeof named === 'string' ? named : serviceOf(this);
    if (svc !== undefined) (made as unknown as WithService)[SERVICE] = svc;
    return made;
  };
  logger.child = redactedChild as unknown as Logger['child'];
  return logger;
}

const LEVEL_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const noop = (): void => undefined;

/**
 * `parent.child(bindings)`, made only when something is logged through it. A child per message
 * (the consume loop's, the sender's per notification) costs tens of microseconds when its parent
 * is itself a child (pino chains prototypes), and almost every message logs nothing: a call at a
 * level that is off returns at once, anything else makes the child on first use.
 */
export function lazyChild(parent: Logger, bindings: Bindings): Logger {
  let made: Logger | undefined;
  const real = (): Logger => (made ??= parent.child(bindings));
  return new Proxy(parent, {
    get(target, prop) {
      if (!made && typeof prop === 'string') {
        if (LEVEL_METHODS.has(prop) && !target.isLevelEnabled(prop)) return noop;
        if (prop === 'isLevelEnabled' || prop === 'level' || prop === 'levelVal') {
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        }
      }
      const r = real();
      const v = Reflect.get(r, prop, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    // a level set on the child is the child's, never its parent's
    set: (_target, prop, value) => Reflect.set(real(), prop, value),
  });
}
