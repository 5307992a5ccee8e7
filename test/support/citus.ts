import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { literally } from './literally.js';

/** deploy/citus-tables.json */
export interface Classification {
  distributionColumn: string;
  distributed: string[];
  lookup: Record<string, string>;
  reference: string[];
  local: Record<string, string>;
}

/**
 * Every string and template literal in the non-test TypeScript under `dir` that reads as SQL, each
 * as one text: a template's `${…}` parts become `?` (table names are written out in this code
 * base; interpolations are column lists, conditions and placeholders). A statement assembled
 * from several literals is seen piece by piece.
 */
export function sqlTextsOf(dir: string): Array<{ file: string; sql: string }> {
  const found: Array<{ file: string; sql: string }> = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        const source = ts.createSourceFile(full, readFileSync(full, 'utf8'), ts.ScriptTarget.Latest, false);
        const visit = (node: ts.Node) => {
          let text: string | undefined;
          if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
          else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((s) => ` ? ${s.literal.text}`).join('');
          if (text !== undefined && /\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN)\b/i.test(text)) found.push({ file: relative(dir, full), sql: text });
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
    }
  };
  walk(dir);
  return found;
}

const NOT_ALIASES = new Set(['where', 'on', 'set', 'using', 'join', 'left', 'right', 'inner', 'full', 'cross', 'natural', 'values',
  'select', 'order', 'group', 'limit', 'for', 'returning', 'with', 'union', 'and', 'or', 'as', 'default', 'offset', 'having', 'window']);

interface Occurrence { table: string; alias: string; aliased: boolean; written: boolean }

/** Where the text names one of `tables` (after FROM, JOIN, INTO, UPDATE, USING or a comma), with the name it goes by. */
function tablesIn(sql: string, tables: readonly string[]): Occurrence[] {
  const found: Occurrence[] = [];
  // The alias is looked at, not consumed: it may be the keyword that names the next table.
  const pattern = /(?:\b(from|join|into|update|using)\s+|,\s*)([a-z_]+\.[a-z_]+)(?=(?:\s+(?:as\s+)?([a-z_][a-z0-9_]*))?)/gi;
  for (const match of sql.matchAll(pattern)) {
    const table = match[2]!.toLowerCase();
    if (!tables.includes(table)) continue;
    const aliased = match[3] !== undefined && !NOT_ALIASES.has(match[3].toLowerCase());
    found.push({ table, alias: aliased ? match[3]! : table.split('.')[1]!, aliased, written: match[1]?.toLowerCase() === 'into' });
  }
  return found;
}

/**
 * The static check behind "every query joining patient-scoped tables carries the NHS number": in
 * a text naming two or more of `tables` (a join, a correlated subquery, a semi-join), each of
 * them must be tied by NHS number: `a.nhs_number = b.nhs_number` with another alias (either way
 * round), `USING (nhs_number…)`, or, in a semi-join, `… nhs_number IN (SELECT a.nhs_number FROM …)`
 * (or `= ANY (…)`); or every one of them is pinned to the same NHS number parameter (`WHERE
 * nhs_number = $1` in each read, an INSERT beside them: one patient, so one shard). Returns what is
 * wrong, one line each; empty when the text is fine.
 */
export function joinsWithoutNhsNumber(sql: string, tables: readonly string[]): string[] {
  const occurrences = tablesIn(sql, tables);
  if (occurrences.length < 2) return [];
  const flat = sql.replace(/\s+/g, ' ');
  const semiJoin = /nhs_number\s+in\s*\(\s*select|nhs_number\s*=\s*any\s*\(\s*select/i.test(flat);
  const usingNhs = /\busing\s*\(\s*nhs_number\b/i.test(flat);
  const problems: string[] = [];
  for (const { table, alias } of occurrences) {
    const a = literally(alias);
    const equal = [...flat.matchAll(new RegExp(`\\b${a}\\.nhs_number\\s*=\\s*([a-z_][a-z0-9_]*)\\.nhs_number\\b`, 'gi'))]
      .concat([...flat.matchAll(new RegExp(`\\b([a-z_][a-z0-9_]*)\\.nhs_number\\s*=\\s*${a}\\.nhs_number\\b`, 'gi'))])
      .some((m) => m[1] !== alias);
    const selectedKey = semiJoin && new RegExp(`\\bselect\\s+(distinct\\s+)?${a}\\.nhs_number\\s+from\\b`, 'i').test(flat);
    if (!equal && !usingNhs && !selectedKey) problems.push(`${table} (as ${alias}) is joined without the NHS number: ${flat.slice(0, 160)}`);
  }
  return problems.length > 0 && pinnedToOnePatient(flat, occurrences) ? [] : problems;
}

function pinnedToOnePatient(flat: string, occurrences: Occurrence[]): boolean {
  const pins = new Set([...flat.matchAll(/\bnhs_number\s*=\s*\$(\d+)\b/gi)].map((m) => m[1]));
  if (pins.size !== 1) return false;
  const pin = [...pins][0]!;
  const reads = occurrences.filter((o) => !o.written);
  const bare = [...flat.matchAll(new RegExp(`(?<![.\\w])nhs_number\\s*=\\s*\\$${pin}\\b`, 'gi'))].length;
  return reads.filter((o) => !o.aliased).length <= bare
    && reads.filter((o) => o.aliased).every((o) => new RegExp(`\\b${literally(o.alias)}\\.nhs_number\\s*=\\s*\\$${pin}\\b`, 'i').test(flat));
}
joinsWithoutNhsNumber.tablesIn = tablesIn;
