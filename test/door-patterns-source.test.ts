import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verdict } from './support/linear-time.js';

/*
 * What door-patterns.test.ts holds every pattern of every route schema to, for every regular
 * expression written in src: the code's own run on client input too. A file of its own, so each
 * has the runner's whole time: on busy shared cores the two together came near it.
 */

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

describe('the code\'s own regular expressions', () => {
  it('every regular expression written in src (literals, and RegExps built from a literal) runs in linear time too', { timeout: 295_000 }, async () => {
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
});
