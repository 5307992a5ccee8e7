import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check } from 'recheck';
import ts from 'typescript';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from './support/spine.js';
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
 * The same holds for every regular expression written in src: the code's own run on client input too.
 */
async function verdict(pattern: string, flags = 'u') {
  // FHIR's date pattern takes the exact analysis 12 s on this machine: a timeout is an answer
  // ('unknown', a failure), never a fall back to the fuzzer, whose verdict on it is wrong.
  const exact = await check(pattern, flags, { checker: 'automaton', timeout: 120_000 });
  if (exact.status !== 'unknown' || exact.error.kind !== 'unsupported') return exact;
  // A fixed seed: the fuzzer's attack strings are random, and a verdict must not change between runs.
  return check(pattern, flags, { checker: 'fuzz', timeout: 60_000, randomSeed: 0 });
}

/**
 * Expressions in src that are not linear but only ever read the project's own files, never what a
 * client sends: each named with what it reads. A client-facing one is never excused: rewrite it
 * (a header line's pattern was cubic: 4,000 spaces held the event loop 42 s).
 */
const OWN_INPUT_ONLY = new Set([
  // services/console/render.ts: the NHS design system's stylesheet, read once at start.
  '/@font-face\\{[^}]*\\}/g',
  // services/demographics/population/random.ts: the bundled name-frequency lists of the synthetic population.
  '/^(.*?)\\s+(\\d+(?:\\.\\d+)?)$/',
]);

describe('the door\'s patterns', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  it('every pattern of every route schema runs in linear time on any value', { timeout: 280_000 }, async () => {
    assert.ok(spine.app.routeTable.length > 50, 'every service\'s routes are registered');
    const patterns = [...doorPatterns];
    // The services' own and the copied specs' (NRL's, PDS's): dozens, the base64Binary one among them as compiled.
    assert.ok(patterns.length >= 20, `${patterns.length} patterns`);
    assert.ok(patterns.includes('[0-9a-zA-Z+/=]{4}'), 'NRL\'s base64Binary, as compiled');
    const unsafe: string[] = [];
    for (const pattern of patterns) {
      const diagnostics = await verdict(pattern);
      if (diagnostics.status !== 'safe') {
        const why = diagnostics.status === 'vulnerable'
          ? `${diagnostics.complexity.summary} (${diagnostics.checker}), e.g. ${diagnostics.attack.pattern}` : `${diagnostics.status} (${JSON.stringify(diagnostics.error)})`;
        unsafe.push(`${pattern}: ${why}`);
      }
    }
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

  it('every regular expression written in src (literals, and RegExps built from a literal) runs in linear time too', { timeout: 280_000 }, async () => {
    const src = fileURLToPath(new URL('../src', import.meta.url));
    const found = new Map<string, { pattern: string; flags: string; at: string }>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = ts.createSourceFile(file, readFileSync(join(src, file), 'utf8'), ts.ScriptTarget.Latest, true);
      const keep = (pattern: string, flags: string, node: ts.Node) => {
        if (!found.has(`/${pattern}/${flags}`)) found.set(`/${pattern}/${flags}`, { pattern, flags, at: `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}` });
      };
      const visit = (node: ts.Node) => {
        if (ts.isRegularExpressionLiteral(node)) {
          const [, pattern, flags] = /^\/(.*)\/([a-z]*)$/s.exec(node.text)!;
          keep(pattern!, flags!, node);
        } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp'
          && node.arguments?.[0] && ts.isStringLiteralLike(node.arguments[0])) {
          const flags = node.arguments[1] && ts.isStringLiteralLike(node.arguments[1]) ? node.arguments[1].text : '';
          keep(node.arguments[0].text, flags, node);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.ok(found.size > 100, `${found.size} expressions`);
    const unsafe: string[] = [];
    const excused = new Set<string>();
    for (const [written, { pattern, flags, at }] of found) {
      const diagnostics = await verdict(pattern, flags);
      if (diagnostics.status === 'safe') continue;
      if (OWN_INPUT_ONLY.has(written)) {
        excused.add(written);
        continue;
      }
      unsafe.push(`${written} (${at}): ${diagnostics.status === 'vulnerable' ? `${diagnostics.complexity.summary}, e.g. ${diagnostics.attack.pattern}` : diagnostics.status}`);
    }
    assert.deepEqual(unsafe, []);
    assert.deepEqual([...excused].sort(), [...OWN_INPUT_ONLY].sort(), 'every excuse is still needed');
  });

  it('the check finds the pattern the spec gives base64Binary polynomial (the check can fail)', async () => {
    const diagnostics = await verdict('(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+');
    assert.equal(diagnostics.status, 'vulnerable');
    assert.equal(diagnostics.status === 'vulnerable' && diagnostics.complexity.type, 'polynomial');
  });
});
