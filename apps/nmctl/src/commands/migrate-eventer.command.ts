import { readFile } from 'node:fs/promises';
import { parseAllDocuments, stringify } from 'yaml';
import { isPlainObject, validateManifest } from '@nm/model';
import { EXIT, inputError, usageError } from '../errors.js';
import { parseArgv, single } from './argv.parser.js';
import { writeLine, type CommandIo } from './command.io.js';
import { MIGRATE_EVENTER_HELP } from './help.command.js';
import { migrateEventerSink, parseEventerSink, SinkError } from './eventer.migrate.js';
import { failUsage } from './validate.command.js';

/** `content` of every ConfigMap in the files, keyed `namespace/name` (namespace `default` when absent). */
async function readBodyConfigMaps(files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw inputError(`cannot read ${file}: ${(err as Error).message}`, err);
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw inputError(`${file}: not YAML: ${doc.errors[0]!.message}`);
      const o = doc.toJS() as unknown;
      if (!isPlainObject(o) || o['kind'] !== 'ConfigMap' || !isPlainObject(o['metadata'])) continue;
      const meta = o['metadata'];
      const data = isPlainObject(o['data']) ? o['data'] : {};
      if (typeof meta['name'] === 'string' && typeof data['content'] === 'string') out.set(`${typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default'}/${meta['name']}`, data['content']);
    }
  }
  return out;
}

/**
 * `nmctl migrate-eventer --sink SINK... [--name NAME] [--configmap FILE]...`: prints the
 * EventRule and webhook Receiver of each kube-eventer webhook sink as YAML documents (apply them
 * with kubectl); problems go to stderr (exit 1).
 */
export async function migrateEventerCommand(args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const parsed = parseArgv(args, { options: ['sink', 'name', 'configmap'] });
    if (parsed.help) {
      writeLine(io.stdout, MIGRATE_EVENTER_HELP);
      return EXIT.ok;
    }
    const sinks = [...(parsed.options.get('sink') ?? []), ...parsed.positionals];
    if (sinks.length === 0) throw usageError('expected at least one --sink (kube-eventer\'s --sink=webhook:<url>?... value)');
    const base = single(parsed, 'name') ?? 'kube-eventer';
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(base)) throw usageError(`--name must be a Kubernetes object name, got ${JSON.stringify(base)}`);
    const bodies = await readBodyConfigMaps(parsed.options.get('configmap') ?? []);
    const docs: unknown[] = [];
    const problems: string[] = [];
    sinks.forEach((text, i) => {
      const name = sinks.length === 1 ? base : `${base}-${i + 1}`;
      let sink;
      try {
        sink = parseEventerSink(text);
      } catch (err) {
        if (!(err instanceof SinkError)) throw err;
        problems.push(`sink ${i + 1}: ${err.message}`);
        return;
      }
      const body = sink.customBody ? bodies.get(`${sink.customBody.namespace}/${sink.customBody.name}`) : undefined;
      const m = migrateEventerSink(sink, { name, ...(body !== undefined ? { customBody: body } : {}) });
      problems.push(...m.problems.map((p) => `sink ${i + 1}: ${p}`));
      for (const o of [m.eventRule, m.receiver]) {
        for (const p of validateManifest(o).problems) problems.push(`sink ${i + 1}: ${p.kind}/${p.name} ${p.field}: ${p.message}`);
        docs.push(o);
      }
    });
    if (docs.length > 0) io.stdout.write(docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
    for (const p of problems) writeLine(io.stderr, p);
    return problems.length > 0 ? EXIT.problems : EXIT.ok;
  } catch (err) {
    return failUsage('migrate-eventer', io, err);
  }
}
