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

/** SQLSTATE that `platform.expect_writes` raises (platform migration 006). */
const GUARD_FAILED = 'OS409';

/**
 * A guarded write of a batch did not write the rows it expected (a row changed since it was read, a
 * key already taken): nothing of the batch was written.
 */
export class WriteConflict extends Error {
  constructor() {
    super('a guarded write did not write the rows it expected: nothing of its batch was written');
    this.name = 'WriteConflict';
  }
}

/**
 * The writes a transaction has decided on, sent together as one statement whose parts are
 * data-modifying CTEs: one round trip instead of one per write. The parts run on one snapshot, so
 * none may depend on another's effect: each must write other rows (or tables) than the rest, and
 * read nothing the others write. Each runs whether or not the others wrote a row; a write added with
 * an expected row count guards the rest: unless every guard wrote exactly its count, the statement
 * is undone as a whole and `run` throws `WriteConflict`. So a batch needs no transaction around it
 * when its reads were versioned: an UPDATE guarded on the version it read (`xmin`) writes its row,
 * and the batch, only if nobody changed the row since. A part's `$n` are its own placeholders,
 * renumbered here; its text must hold no other `$` followed by a digit (no string or dollar-quoted
 * literals with one).
 */
export class WriteBatch {
  private readonly statements: Array<Statement & { expect?: number }> = [];

  /** Adds a write (with `expect`, a guard: the rows it must write); its index in what `run` answers. */
  add(statement: Statement, expect?: number): number {
    this.statements.push(expect === undefined ? statement : { ...statement, expect });
    return this.statements.length - 1;
  }

  /** Runs every write in one statement on `db` (a transaction's client, or the pool); the rows each wrote. */
  async run(db: Queryable): Promise<number[]> {
    if (this.statements.length === 0) return [];
    const values: unknown[] = [];
    const parts = this.statements.map((statement, i) => {
      const offset = values.length;
      values.push(...statement.values);
      return `w${i} AS (${statement.text.replace(PLACEHOLDER, (_, n: string) => `$${Number(n) + offset}`)} RETURNING 1)`;
    });
    const count = (i: number) => `(SELECT count(*) FROM w${i})::int`;
    const selected = this.statements.map((_, i) => `${count(i)} AS n${i}`);
    const guards = this.statements.flatMap((s, i) => (s.expect === undefined ? [] : [`${count(i)} = ${Number(s.expect)}`]));
    if (guards.length) selected.push(`platform.expect_writes(${guards.join(' AND ')}) AS as_expected`);
    const text = `WITH ${parts.join(',\n')}\nSELECT ${selected.join(', ')}`;
    const name = this.statements.length <= MAX_NAMED ? nameOf(text) : undefined;
    try {
      const { rows } = await db.query<Record<string, number>>(name ? { name, text, values } : { text, values });
      return this.statements.map((_, i) => rows[0]![`n${i}`]!);
    } catch (err) {
      if ((err as { code?: unknown }).code === GUARD_FAILED) throw new WriteConflict();
      throw err;
    }
  }
}
