/**
 * Imported into every test file by scripts/run-tests.mjs (`--import`, after tsx).
 *
 * A failing `assert.ok(value)` without a message makes Node build one from the source: it reads the
 * file from the call site's line and column and parses forward, from each token before that column,
 * until it finds the call. Under tsx the call site is in the code tsx runs, one minified line, so
 * the position is line 1 at a column tens of thousands of characters in, taken to the TypeScript
 * source: that parse of a 1,000-line test file took minutes of CPU. The file's event loop is blocked
 * all the while, so no timeout of its own can fire: an EPS dispensing test with one failing
 * `assert.ok` sat until the runner's 300 s limit instead of failing. So a message-less failure gets
 * a plain message here, at once; its stack (source-mapped by tsx) still names the line.
 */
import assert from 'node:assert';
import { syncBuiltinESMExports } from 'node:module';
import { inspect } from 'node:util';

const nodeOk = assert.ok;

function ok(...args: [value?: unknown, message?: string | Error]): void {
  // As Node's: no argument at all, a truthy value or a message given is Node's own answer.
  if (args.length > 0 && !args[0] && args[1] == null) {
    throw new assert.AssertionError({ actual: args[0], expected: true, operator: '==', message: `The expression evaluated to a falsy value: ${inspect(args[0])}`, stackStartFn: ok });
  }
  Reflect.apply(nodeOk, undefined, args);
}

// `assert.ok` and `assert.strict.ok` (the default export of node:assert/strict) are one function, held twice.
assert.ok = ok as typeof assert.ok;
assert.strict.ok = ok as typeof assert.ok;
syncBuiltinESMExports();
