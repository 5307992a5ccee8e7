import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection, once a serving process has built everything it keeps (routes, every
 * door's compiled schema) and before it takes its first request.
 *
 * Building a Spine leaves some 70 MB of garbage in V8's old generation (ajv's generated code and
 * its intermediate objects: 120 MB in use, 47 MB of it live). V8 collects the old generation only
 * when it reaches a limit that the garbage itself raised, so the process went on with a heap sized
 * by its start: 215–229 MB resident at rest, and a MESH node carrying a 1 GB message peaked at
 * 297–322 MB, over its 300 MB target. Collected here: 176–193 MB at rest, and 271–294 MB at the
 * transfer's peak (bench/README.md, 2026-12-06).
 *
 * `gc` is not exposed without `--expose-gc`; it is taken from a context made while that flag is
 * set, and the flag put back, so nothing else in the process sees a `gc`.
 */
export function collectStartupGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
