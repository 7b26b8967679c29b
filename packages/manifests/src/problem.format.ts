import type { Problem } from '@nm/model';

/** A validation finding located in a manifest file. */
export type FileProblem = Problem & { file: string };

/**
 * One line: `error|warning FILE Kind/name field: message`. Problems of a whole file (a YAML
 * syntax error, an unreadable file) have no kind and name, and a problem of a whole object has no
 * field; those parts are left out (`error FILE: message`, `error FILE Kind/name: message`).
 * Line breaks inside the message are replaced by spaces so the result stays one line.
 */
export function formatProblem(p: FileProblem): string {
  const object = p.kind !== '' || p.name !== '' ? ` ${p.kind}/${p.name}` : '';
  const field = p.field !== '' ? ` ${p.field}` : '';
  return `${p.severity} ${p.file}${object}${field}: ${p.message.replace(/\s*[\r\n]+\s*/g, ' ')}`;
}

/** A problem of a whole file. */
export function fileError(file: string, message: string): FileProblem {
  return { severity: 'error', kind: '', name: '', field: '', message, file };
}
