import { extname } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { fileError, type FileProblem } from './problem.format.js';
import { isPlainObject as isRecord } from '@nm/model';

export interface ParsedFile {
  /** The manifests read, before validation. */
  manifests: unknown[];
  problems: FileProblem[];
}


/** `kind: List` (as `kubectl get -o yaml` prints) holds manifests in `items`. */
function expandList(value: unknown): unknown[] {
  if (isRecord(value) && value['kind'] === 'List' && value['apiVersion'] === 'v1' && Array.isArray(value['items'])) {
    return (value['items'] as unknown[]).filter((item) => item !== null && item !== undefined);
  }
  return [value];
}

/** First line of a parser message without the position the message repeats. */
function messageOnly(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}

function parseYaml(file: string, text: string): ParsedFile {
  const manifests: unknown[] = [];
  const problems: FileProblem[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  // An input without any document (empty or only comments) parses to an empty collection.
  for (const doc of Array.isArray(docs) ? docs : []) {
    const start = lines.linePos(doc.range[0]).line;
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
      problems.push(fileError(file, `YAML syntax error at line ${pos.line}, column ${pos.col}: ${messageOnly(error.message)}`));
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      problems.push(fileError(file, `YAML error in the document at line ${start}: ${messageOnly(e instanceof Error ? e.message : String(e))}`));
      continue;
    }
    if (value === null || value === undefined) continue; // empty document
    manifests.push(...expandList(value));
  }
  return { manifests, problems };
}

/** Line and column (1-based) of a character offset. */
function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function parseJson(file: string, text: string): ParsedFile {
  if (text.trim() === '') return { manifests: [], problems: [] };
  try {
    return { manifests: expandList(JSON.parse(text) as unknown), problems: [] };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    const detail = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '').replace(/^JSON\.parse: /, '');
    if (!at?.[1]) return { manifests: [], problems: [fileError(file, `JSON syntax error: ${detail}`)] };
    const pos = position(text, Number(at[1]));
    return { manifests: [], problems: [fileError(file, `JSON syntax error at line ${pos.line}, column ${pos.col}: ${detail}`)] };
  }
}

/**
 * Splits a file into manifests: `*.json` files as one JSON value, anything else as a stream of
 * YAML documents. Empty documents are skipped and `v1 List` objects are expanded into their
 * items. A document with a syntax error becomes one error problem naming its line; the other
 * documents of the file are still returned.
 */
export function parseManifestFile(file: string, text: string): ParsedFile {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return extname(file).toLowerCase() === '.json' ? parseJson(file, body) : parseYaml(file, body);
}
