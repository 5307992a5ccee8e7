import { createHash } from 'node:crypto';
import type { Queryable } from './pool.js';

/** A data-modifying statement (INSERT, UPDATE or DELETE, without RETURNING) and its values, `$1` first. */
export interface Statement {
  text: string;
  values: unknown[];
}

const PLACEHOLDER = /\$(\d+)/g;

/**
 * Past this many statements a batch is sent unnamed: every named statement is kept by every
 * connection that ran it, and long batches (a sweep of many rows) come in many shapes.
 */
const MAX_NAMED = 8;

/** Statement names by text, so a batch of a shape already seen is not hashed again; bounded all the same. */
const names = new Map<string, string>();
const MAX_REMEMBERED = 1_000;

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `write-batch-${createHash('sha1').update(text).digest('base64url')}`;
    if (names.size < MAX_REMEMBERED) names.set(text, name);
  }
  return name;
}

/**
 * The writes a transaction has decided on, sent together as one statement whose parts are
 * data-modifying CTEs: one round trip instead of one per write. The parts run on one snapshot, so
 * none may depend on another's effect: each must write other rows (or tables) than the rest, and
 * read nothing the others write. Each runs whether or not the others wrote a row: a write that
 * decides whether the rest should happen (a version check) goes first, on its own, and the rest
 * are added only once it has. A part's `$n` are its own placeholders, renumbered here; its text
 * must hold no other `$` followed by a digit (no string or dollar-quoted literals with one).
 */
export class WriteBatch {
  private readonly statements: Statement[] = [];

  /** Adds a write; its index in what `run` answers. */
  add(statement: Statement): number {
    this.statements.push(statement);
    return this.statements.length - 1;
  }

  /** Runs every write in one statement on `db` (the transaction's client); the rows each wrote. */
  async run(db: Queryable): Promise<number[]> {
    if (this.statements.length === 0) return [];
    const values: unknown[] = [];
    const parts = this.statements.map((statement, i) => {
      const offset = values.length;
      values.push(...statement.values);
      return `w${i} AS (${statement.text.replace(PLACEHOLDER, (_, n: string) => `$${Number(n) + offset}`)} RETURNING 1)`;
    });
    const counts = this.statements.map((_, i) => `(SELECT count(*) FROM w${i})::int AS n${i}`);
    const text = `WITH ${parts.join(',\n')}\nSELECT ${counts.join(', ')}`;
    const name = this.statements.length <= MAX_NAMED ? nameOf(text) : undefined;
    const { rows } = await db.query<Record<string, number>>(name ? { name, text, values } : { text, values });
    return this.statements.map((_, i) => rows[0]![`n${i}`]!);
  }
}
