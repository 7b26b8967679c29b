import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Whether the object `ref` points at was garbage-collected: after a macrotask (a WeakRef keeps
 * its target alive until the current job ends) and full collections. For tests that prove a
 * long wait does not keep a large object alive.
 */
export async function collected(ref: WeakRef<object>): Promise<boolean> {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    gc();
  }
  return ref.deref() === undefined;
}
