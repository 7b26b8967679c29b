import { readFile } from 'node:fs/promises';
import { parseAllDocuments, stringify } from 'yaml';
import { EXIT, inputError, usageError } from '../errors.js';
import { parseArgv } from './argv.parser.js';
import { writeLine, type CommandIo } from './command.io.js';
import { MIGRATE_HELP } from './help.command.js';
import { migrateManifests, type MigrateInput } from './manifest.migrate.js';
import { failUsage } from './validate.command.js';

/**
 * `nmctl migrate FILE...`: prints the manifests of the files with every notification-manager object
 * of an older API version converted to v2beta2 (YAML documents, to apply with kubectl); one line per
 * thing that was changed or could not be carried over goes to stderr. Exit 1 when something could
 * not be carried over.
 */
export async function migrateCommand(args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const parsed = parseArgv(args, { options: [] });
    if (parsed.help) {
      writeLine(io.stdout, MIGRATE_HELP);
      return EXIT.ok;
    }
    if (parsed.positionals.length === 0) throw usageError('expected at least one FILE of manifests');
    const inputs: MigrateInput[] = [];
    for (const file of parsed.positionals) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw inputError(`cannot read ${file}: ${(err as Error).message}`, err);
      }
      parseAllDocuments(text).forEach((doc, i) => {
        if (doc.errors.length > 0) throw inputError(`${file}: document ${i + 1} is not YAML: ${doc.errors[0]!.message}`);
        const object = doc.toJS() as unknown;
        if (object === null || object === undefined) return; // empty document
        const items = typeof object === 'object' && !Array.isArray(object) && (object as { kind?: unknown }).kind === 'List' ? (object as { items?: unknown[] }).items ?? [] : [object];
        items.forEach((o, j) => inputs.push({ source: items.length > 1 || o !== object ? `${file}#${i + 1}.${j + 1}` : `${file}#${i + 1}`, object: o }));
      });
    }
    const { objects, notes } = migrateManifests(inputs);
    if (objects.length > 0) io.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    for (const n of notes) writeLine(io.stderr, `${n.severity === 'lost' ? 'not carried' : 'changed'} ${n.source} ${n.object}: ${n.message}`);
    const lost = notes.filter((n) => n.severity === 'lost').length;
    writeLine(io.stderr, `${objects.length} objects written, ${notes.length - lost} changes, ${lost} not carried over`);
    return lost > 0 ? EXIT.problems : EXIT.ok;
  } catch (err) {
    return failUsage('migrate', io, err);
  }
}
