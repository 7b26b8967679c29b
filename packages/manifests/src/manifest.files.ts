import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { ManifestPathError, MANIFEST_ERROR_CODES } from './errors.js';
import { fileError, type FileProblem } from './problem.format.js';

/** File name endings read when walking a directory (a file named explicitly is read whatever its name). */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

const isManifestName = (name: string): boolean => (MANIFEST_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface ManifestFiles {
  /** Paths as given, or joined onto the directory given; in a deterministic order. */
  files: string[];
  /** Directories below a given path that could not be listed. */
  problems: FileProblem[];
}

/**
 * Expands files and directories into manifest files: a file is taken as is; a directory is walked
 * recursively, entries sorted by name (code-unit order), hidden entries (`.name`) skipped, only
 * `*.yaml`, `*.yml` and `*.json` kept. Symbolic links are followed (each directory once). A file
 * reached twice is listed once. Throws {@link ManifestPathError} when a given path is missing or
 * unreadable.
 */
export async function listManifestFiles(paths: readonly string[]): Promise<ManifestFiles> {
  const files: string[] = [];
  const problems: FileProblem[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();

  const addFile = (path: string): void => {
    const abs = resolve(path);
    if (seenFiles.has(abs)) return;
    seenFiles.add(abs);
    files.push(path);
  };

  const walk = async (dir: string): Promise<void> => {
    let real: string;
    let names: string[];
    try {
      real = await realpath(dir);
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
      names = (await readdir(dir)).sort(byName);
    } catch (e) {
      problems.push(fileError(dir, `cannot read directory: ${errorText(e)}`));
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      let info;
      try {
        info = await stat(path);
      } catch (e) {
        problems.push(fileError(path, `cannot read: ${errorText(e)}`));
        continue;
      }
      if (info.isDirectory()) await walk(path);
      else if (info.isFile() && isManifestName(name)) addFile(path);
    }
  };

  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ManifestPathError(
        missing ? MANIFEST_ERROR_CODES.pathNotFound : MANIFEST_ERROR_CODES.pathUnreadable,
        path,
        missing ? `${path}: no such file or directory` : `${path}: ${errorText(e)}`,
        { cause: e },
      );
    }
    if (info.isDirectory()) await walk(path);
    else addFile(path);
  }
  return { files, problems };
}
