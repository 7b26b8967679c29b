import { formatProblem, loadManifests, ManifestPathError } from '@nm/manifests';
import { CliError, EXIT, usageError } from '../errors.js';
import { parseArgv } from './argv.parser.js';
import { writeLine, type CommandIo } from './command.io.js';
import { VALIDATE_HELP } from './help.command.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `N errors, M warnings in K objects` (singular when a count is 1). */
export function summaryLine(errors: number, warnings: number, objects: number): string {
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(objects, 'object')}`;
}

/** Reports a usage or input error the same way for every command: message, hint, exit 2. */
export function failUsage(command: string, io: CommandIo, err: unknown): number {
  if (err instanceof CliError || err instanceof ManifestPathError) {
    writeLine(io.stderr, `nmctl ${command}: ${err.message}`);
    writeLine(io.stderr, `Run 'nmctl help ${command}' for usage.`);
    return EXIT.usage;
  }
  throw err;
}

/** `nmctl validate PATH...`: one line per problem on stdout, the summary on stderr. */
export async function validateCommand(args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const parsed = parseArgv(args, { options: [] });
    if (parsed.help) {
      writeLine(io.stdout, VALIDATE_HELP);
      return EXIT.ok;
    }
    if (parsed.positionals.length === 0) throw usageError('no PATH given');
    const result = await loadManifests(parsed.positionals);
    for (const p of result.problems) writeLine(io.stdout, formatProblem(p));
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    writeLine(io.stderr, summaryLine(errors, result.problems.length - errors, result.objects.length));
    return errors > 0 ? EXIT.problems : EXIT.ok;
  } catch (err) {
    return failUsage('validate', io, err);
  }
}
