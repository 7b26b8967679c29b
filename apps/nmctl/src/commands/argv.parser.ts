import { usageError } from '../errors.js';

/** Options a command accepts: each takes a value (`--name VALUE` or `--name=VALUE`). */
export interface ArgvSpec {
  options: readonly string[];
}

export interface ParsedArgv {
  positionals: string[];
  /** Option name (without dashes) → every value given, in order. */
  options: Map<string, string[]>;
  help: boolean;
}

/**
 * Splits arguments into positionals and options. `-h`/`--help` anywhere asks for help; `--`
 * ends the options. Unknown options and options without a value are usage errors.
 */
export function parseArgv(args: readonly string[], spec: ArgvSpec): ParsedArgv {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : '';
    if (!spec.options.includes(name)) throw usageError(`unknown option ${eq === -1 ? arg : arg.slice(0, eq)}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usageError(`option --${name} needs a value`);
      i++;
    }
    const list = options.get(name);
    if (list) list.push(value);
    else options.set(name, [value]);
  }
  return { positionals, options, help };
}

/** The single value of an option given at most once. */
export function single(parsed: ParsedArgv, name: string): string | undefined {
  const values = parsed.options.get(name);
  if (values && values.length > 1) throw usageError(`option --${name} may be given only once`);
  return values?.[0];
}
