import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from './support/spine.js';
import { check } from 'recheck';
import { FUZZ_PARAMS, notLinear, PATTERN_CPU_BUDGET_MS, verdict } from './support/linear-time.js';
import { compileEveryDoor, doorPatterns } from '../src/platform/http/validation.js';

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
 * Verdicts have no wall-clock limit, which load stretches, but a bound of the checker's CPU time
 * (support/linear-time.ts): the same on a loaded machine as on an idle one, and a pattern beyond it
 * fails the case by name rather than hanging the file until the runner kills it.
 */
describe('the door\'s patterns', () => {
  let spine: TestSpine;
  // Every route's schemas compiled, as a server does before it listens (a test Spine compiles a route's at its first request).
  before(async () => {
    spine = await startTestSpine({ flags: { sandbox: true } });
    compileEveryDoor();
  });
  after(async () => { await spine?.close(); });

  // A verdict is bounded by the checker's CPU time, which load does not stretch (FHIR's date pattern:
  // 12 s of it, over a minute of the clock's on busy shared cores); and the run ends, naming the pattern
  // in progress, just short of the runner's 300 s, which would otherwise kill the file without a word.
  it('every pattern of every route schema runs in linear time on any value', { timeout: 295_000 }, async () => {
    const until = Date.now() + 270_000;
    assert.ok(spine.app.routeTable.length > 50, 'every service\'s routes are registered');
    const patterns = [...doorPatterns];
    // The services' own and the copied specs' (NRL's, PDS's): dozens, the base64Binary one among them as compiled.
    assert.ok(patterns.length >= 20, `${patterns.length} patterns`);
    assert.ok(patterns.includes('[0-9a-zA-Z+/=]{4}'), 'NRL\'s base64Binary, as compiled');
    const costs: Array<{ pattern: string; cpuMs: number; wallMs: number }> = [];
    const unsafe = await notLinear(patterns.map((pattern) => ({ pattern })), { cpuBudgetMs: PATTERN_CPU_BUDGET_MS, until, costs });
    const costliest = costs.sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 3);
    process.stdout.write(`# door patterns: ${patterns.length}, costliest (checker CPU ms, wall ms): ${JSON.stringify(costliest)}\n`);
    assert.deepEqual(unsafe, []);
  });

  it('no module but the door\'s makes an ajv, so every pattern any schema compiles is recorded', () => {
    const src = fileURLToPath(new URL('../src', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 100, `${files.length} files`);
    // A value import of ajv or ajv-formats (a type import makes nothing).
    const makers = files.filter((f) => /^import\s+(?!type\s)[^;]*from\s+'ajv(?:-formats)?(?:\/[^']*)?';/m.test(readFileSync(join(src, f), 'utf8')));
    assert.deepEqual(makers, [join('platform', 'http', 'validation.ts')]);
  });

  it('a pattern whose verdict passes its bound fails the check by name, and the checker goes on to the next (the bound can fail)', { timeout: 120_000 }, async () => {
    // FHIR's dateTime, the costliest pattern the door compiles (17 s of the checker's CPU on loaded shared cores), given 0.2 s.
    const dateTime = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?';
    const found = await notLinear([{ pattern: dateTime, at: 'dateTime' }, { pattern: '^[0-9]{4}$' }], { cpuBudgetMs: 200 });
    assert.deepEqual(found, [`/${dateTime}/u (dateTime): no verdict within 0.2 s of the checker's CPU time (automaton)`]);
    // A run past its end: the pattern in progress and those not reached are named.
    const late = await notLinear([{ pattern: '^[0-9]{4}$' }, { pattern: '[A-Z]{3}' }], { until: Date.now() });
    assert.deepEqual(late.map((line) => line.replace(/:.*/, '')), ['/^[0-9]{4}$/u', '/[A-Z]{3}/u']);
    assert.match(late[0]!, /no verdict before the run's end/);
  });

  it('the fuzzer\'s verdict depends on no clock: a lookahead pattern of the door is safe, where with its matching-time limits at 1 ms (a machine slowed a thousandfold) it was called polynomial', async () => {
    for (const limit of ['timeout', 'attackTimeout', 'incubationTimeout', 'seedingTimeout'] as const) assert.equal(FUZZ_PARAMS[limit], null, `${limit} is off`);
    const lookahead = '^(?=.*\\S)[^\\u0000-\\u001f\\u007f-\\u009f]+$';
    assert.equal((await verdict(lookahead)).status, 'safe');
    const clocked = await check(lookahead, 'u', { ...FUZZ_PARAMS, attackTimeout: 1, incubationTimeout: 1, seedingTimeout: 1 });
    assert.equal(clocked.status, 'vulnerable', 'the limits this check turns off do change the verdict');
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
