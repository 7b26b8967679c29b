import { EXIT } from '../errors.js';
import { writeLine, type Command, type CommandIo } from './command.io.js';
import { helpCommand, USAGE } from './help.command.js';
import { migrateEventerCommand } from './migrate-eventer.command.js';
import { migrateCommand } from './migrate.command.js';
import { routeCommand } from './route.command.js';
import { validateCommand } from './validate.command.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  validate: validateCommand,
  route: routeCommand,
  'migrate-eventer': migrateEventerCommand,
  migrate: migrateCommand,
  help: helpCommand,
};

/** The whole CLI: `argv` without the node and script paths. Returns the exit code. */
export async function runNmctl(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    writeLine(io.stderr, USAGE);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h') return helpCommand([], io);
  const command = COMMANDS[name];
  if (!command) {
    writeLine(io.stderr, `nmctl: unknown command ${name}`);
    writeLine(io.stderr, "Run 'nmctl --help' for usage.");
    return EXIT.usage;
  }
  return command(args, io);
}
