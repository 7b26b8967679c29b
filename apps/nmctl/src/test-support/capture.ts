import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CommandIo } from '../commands/command.io.js';

/** Streams that keep what is written, for asserting on a command's output. */
export interface CapturedIo extends CommandIo {
  out(): string;
  err(): string;
  /** stdout split into lines (without the final empty one). */
  outLines(): string[];
  errLines(): string[];
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const split = (s: string): string[] => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

export function captureIo(): CapturedIo {
  const o = collector();
  const e = collector();
  return {
    stdout: o.stream,
    stderr: e.stream,
    out: o.text,
    err: e.text,
    outLines: () => split(o.text()),
    errLines: () => split(e.text()),
  };
}

/** Path of a file under apps/nmctl/test/fixtures. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

/** The documentation examples of @nm/manifests. */
export const NM_DOCS = fileURLToPath(new URL('../../../../packages/manifests/test/fixtures/nm-docs', import.meta.url));
