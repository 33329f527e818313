import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs a full garbage collection now, in a test process started without --expose-gc. Call it from
 * a later job than the one that made what should survive it (a WeakRef keeps its target alive until
 * the end of the job that made it).
 */
export function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
