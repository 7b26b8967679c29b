import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary directory with helpers to write files into it. */
export interface TempDir {
  path: string;
  /** Writes `content` at `relative` (creating directories) and returns the full path. */
  write(relative: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'nm-manifests-'));
  return {
    path,
    async write(relative, content) {
      const file = join(path, relative);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

export const API = 'notification.kubesphere.io/v2beta2';

/** YAML of a global webhook Receiver. */
export const webhookReceiver = (name: string, url = 'http://hook.example.com/'): string => `apiVersion: ${API}
kind: Receiver
metadata:
  name: ${name}
  labels:
    type: global
spec:
  webhook:
    url: ${url}
`;
