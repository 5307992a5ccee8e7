import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { notLinear, verdict } from './support/linear-time.js';
import { doorPatterns } from '../src/platform/http/validation.js';

/**
 * Every `pattern` of every route's schema runs on what clients send, up to the body limit (5 MB).
 * V8's regular expressions backtrack, and some patterns then take time polynomial or exponential
 * in the value's length: NRL's copy of FHIR's base64Binary held the event loop 2.3 s for 20,000
 * spaces. recheck (a ReDoS checker) must find each pattern the door compiled, with every service's
 * routes registered, safe: linear or better. Its exact analysis (of the pattern's automaton) first;
 * where a pattern is beyond it (a lookahead), its fuzzer, which builds attack strings and counts
 * the steps they take. The fuzzer alone called FHIR's dateTime pattern quadratic, which the exact
 * analysis finds linear, as V8 runs it (2.5 MB of the fuzzer's attack string in 51 ms).
 * The same holds for every regular expression written in src (door-patterns-source.test.ts).
 * Verdicts have no time limit (support/linear-time.ts): the same on a loaded machine as on an idle one.
 */
describe('the door\'s patterns', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  // No time limit of its own but the runner's: a verdict takes what it takes (over a minute for FHIR's date pattern on busy shared cores).
  it('every pattern of every route schema runs in linear time on any value', { timeout: 295_000 }, async () => {
    assert.ok(spine.app.routeTable.length > 50, 'every service\'s routes are registered');
    const patterns = [...doorPatterns];
    // The services' own and the copied specs' (NRL's, PDS's): dozens, the base64Binary one among them as compiled.
    assert.ok(patterns.length >= 20, `${patterns.length} patterns`);
    assert.ok(patterns.includes('[0-9a-zA-Z+/=]{4}'), 'NRL\'s base64Binary, as compiled');
    assert.deepEqual(await notLinear(patterns.map((pattern) => ({ pattern }))), []);
  });

  it('no module but the door\'s makes an ajv, so every pattern any schema compiles is recorded', () => {
    const src = fileURLToPath(new URL('../src', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 100, `${files.length} files`);
    // A value import of ajv or ajv-formats (a type import makes nothing).
    const makers = files.filter((f) => /^import\s+(?!type\s)[^;]*from\s+'ajv(?:-formats)?(?:\/[^']*)?';/m.test(readFileSync(join(src, f), 'utf8')));
    assert.deepEqual(makers, [join('platform', 'http', 'validation.ts')]);
  });

  it('the check finds the pattern the spec gives base64Binary polynomial (the check can fail)', async () => {
    const diagnostics = await verdict('(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+');
    assert.equal(diagnostics.status, 'vulnerable');
    assert.equal(diagnostics.status === 'vulnerable' && diagnostics.complexity.type, 'polynomial');
  });

  it('the same check, given a quadratic pattern among linear ones, names it and only it (the check can fail)', async () => {
    // `\s+$` searched in a run of spaces ending in anything else: each start scans to the end.
    const found = await notLinear([{ pattern: '^[0-9]{4}$' }, { pattern: '\\s+$' }, { pattern: '[A-Z]{3}[0-9]{2}' }]);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /^\/\\s\+\$\/u: 2nd degree polynomial \(automaton\)/);
  });
});
