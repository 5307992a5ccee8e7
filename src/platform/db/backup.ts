import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type pg from 'pg';
import type { Db, Queryable } from './pool.js';

/**
 * A whole store as one file, while the Spine runs: every table of every service (not the
 * migrations' own record, nor the unlogged tables, which a crash empties anyway), from one snapshot,
 * so the copy is as consistent as a moment of the database (the audit chain's head and its records
 * agree, a pointer and its event are both there or neither). Rows go as PostgreSQL's binary COPY,
 * exact for every type and with no limit on a value's size but PostgreSQL's own.
 *
 * The file (gzip): one JSON line, the header (format, the migrations the store had, its sequences,
 * its tables with their columns and row counts, parents before the tables that refer to them),
 * then each table's COPY data in frames of a 4-byte length and that many bytes, ended by a frame of
 * length 0. A restore (`restoreBackup`) reads it into a new database migrated to the same release.
 */

export const BACKUP_FORMAT = 'openspine-backup';
const BACKUP_VERSION = 1;
/** Tables the migrations keep for themselves: the target has its own. */
const MIGRATIONS_TABLE = { schema: 'platform', name: 'migrations' };

export interface BackupTable { schema: string; name: string; columns: string[]; rows: number }
export interface BackupSequence { schema: string; name: string; lastValue: string; isCalled: boolean }
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** `schema/id` of every migration the store had applied. */
  migrations: string[];
  sequences: BackupSequence[];
  tables: BackupTable[];
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
const columnList = (t: BackupTable) => t.columns.map(ident).join(', ');

const OWN_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/** The store's tables, each after every table it refers to (its foreign keys' parents). */
async function tablesInOrder(client: pg.ClientBase): Promise<Array<Omit<BackupTable, 'rows'>>> {
  const { rows: tables } = await client.query<{ oid: number; schema: string; name: string; columns: string[] }>(`
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name,
           array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                   AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum) AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND ${OWN_SCHEMAS}
     ORDER BY n.nspname, c.relname`);
  const { rows: references } = await client.query<{ child: number; parent: number }>(
    `SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`);
  const parents = new Map<number, number[]>();
  for (const r of references) parents.set(r.child, [...(parents.get(r.child) ?? []), r.parent]);
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const ordered: typeof tables = [];
  const placed = new Set<number>();
  const place = (oid: number, path: Set<number>) => {
    if (placed.has(oid) || path.has(oid) || !byOid.has(oid)) return;
    path.add(oid);
    for (const parent of parents.get(oid) ?? []) place(parent, path);
    placed.add(oid);
    ordered.push(byOid.get(oid)!);
  };
  for (const t of tables) place(t.oid, new Set());
  return ordered
    .filter((t) => !(t.schema === MIGRATIONS_TABLE.schema && t.name === MIGRATIONS_TABLE.name))
    .map(({ schema, name, columns }) => ({ schema, name, columns }));
}

async function sequencesOf(client: pg.ClientBase): Promise<BackupSequence[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND c.relpersistence = 'p' AND ${OWN_SCHEMAS} ORDER BY 1, 2`);
  const sequences: BackupSequence[] = [];
  for (const s of rows) {
    const { rows: [state] } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${qualified(s)}`);
    sequences.push({ ...s, lastValue: state!.last_value, isCalled: state!.is_called });
  }
  return sequences;
}

/** Writes, waiting for `out` to drain when it asks to. */
async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

function frameLength(n: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(n);
  return header;
}

/**
 * Writes the store to `out` (the caller gzips it and ends it) from one snapshot, read only, so the
 * Spine keeps serving meanwhile. Returns the header, with each table's rows.
 */
export async function writeBackup(db: Db, out: Writable, now: Date = new Date()): Promise<BackupHeader> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const listed = await tablesInOrder(client);
    const tables: BackupTable[] = [];
    for (const t of listed) {
      const { rows: [count] } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(t)}`);
      tables.push({ ...t, rows: Number(count!.n) });
    }
    const header: BackupHeader = {
      format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(),
      migrations: await appliedMigrations(client), sequences: await sequencesOf(client), tables,
    };
    await write(out, Buffer.from(`${JSON.stringify(header)}\n`));
    for (const t of tables) {
      const source = client.query(copyStreams.to(`COPY ${qualified(t)} (${columnList(t)}) TO STDOUT (FORMAT binary)`));
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (chunk.length === 0) continue;
        await write(out, frameLength(chunk.length));
        await write(out, chunk);
      }
      await write(out, frameLength(0));
    }
    await client.query('COMMIT');
    return header;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export class BackupFileError extends Error {}

/** Reads a backup's bytes in the pieces its format has (the header line, frames), from any stream of Buffers. */
export class BackupReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    const next = await this.chunks.next();
    if (next.done) return false;
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    return true;
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      if (!(await this.fill())) throw new BackupFileError('the backup file ends early: it is cut short or not a backup');
    }
    const piece = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return piece;
  }

  /** The header line, checked for this format and version. */
  async header(maxBytes = 64 * 1024 * 1024): Promise<BackupHeader> {
    let end = this.buffered.indexOf(0x0a);
    while (end < 0) {
      if (this.buffered.length > maxBytes || !(await this.fill())) throw new BackupFileError('the file has no backup header: it is not an OpenSpine backup');
      end = this.buffered.indexOf(0x0a);
    }
    const line = (await this.take(end + 1)).subarray(0, end).toString('utf8');
    let parsed: unknown;
    try { parsed = JSON.parse(line); } catch { parsed = undefined; }
    const header = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<BackupHeader>;
    if (header.format !== BACKUP_FORMAT) throw new BackupFileError('the file has no backup header: it is not an OpenSpine backup');
    if (header.version !== BACKUP_VERSION) throw new BackupFileError(`the backup is of format version ${String(header.version)}; this release reads version ${BACKUP_VERSION}`);
    if (!Array.isArray(header.tables) || !Array.isArray(header.migrations) || !Array.isArray(header.sequences)) {
      throw new BackupFileError('the backup header is incomplete');
    }
    return header as BackupHeader;
  }

  /** One table's COPY data, frame by frame, up to its closing frame. */
  async *table(): AsyncGenerator<Buffer> {
    for (;;) {
      const length = (await this.take(4)).readUInt32BE(0);
      if (length === 0) return;
      // Copied: the piece is a view of a buffer this reader goes on slicing.
      yield Buffer.from(await this.take(length));
    }
  }

  /** Whether anything follows the last table (a file that is not what its header says). */
  async atEnd(): Promise<boolean> {
    return this.buffered.length === 0 && !(await this.fill());
  }
}

/** Whether the database has any table of its own yet (a restore goes only into one that has none). */
export async function hasTables(db: Db): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND ${OWN_SCHEMAS} LIMIT 1`);
  return rows.length > 0;
}

/** The migrations a store has, as `schema/id`. */
export async function appliedMigrations(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT schema_name || '/' || id AS id FROM platform.migrations ORDER BY schema_name, id`);
  return rows.map((r) => r.id);
}

/**
 * Loads a backup's rows into `db`, whose schema must be the backup's (the caller migrated it to the
 * same migrations), in one transaction: every table emptied of what its migrations put there, the
 * tables' own triggers off meanwhile (the audit trail's append-only guards, the previous release's
 * column fillers: the rows go in as they were), each table's row count checked against the
 * header's, and each sequence set where it was. Nothing is changed unless all of it is.
 */
export async function restoreBackup(db: Db, header: BackupHeader, reader: BackupReader): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    // Only this store's own tables, as its migrations made them: a header naming anything else is not a backup of it.
    const own = new Map((await tablesInOrder(client)).map((t) => [`${t.schema}.${t.name}`, new Set(t.columns)]));
    for (const t of header.tables) {
      const columns = own.get(`${t.schema}.${t.name}`);
      if (columns === undefined) throw new BackupFileError(`the backup names a table this store does not have: ${t.schema}.${t.name}`);
      if (!Array.isArray(t.columns) || !t.columns.every((c) => columns.has(c))) {
        throw new BackupFileError(`the backup's columns of ${t.schema}.${t.name} are not this store's`);
      }
    }
    const ownSequences = new Set((await sequencesOf(client)).map((q) => `${q.schema}.${q.name}`));
    const foreign = header.sequences.find((q) => !ownSequences.has(`${q.schema}.${q.name}`));
    if (foreign) throw new BackupFileError(`the backup names a sequence this store does not have: ${foreign.schema}.${foreign.name}`);
    for (const t of header.tables) await client.query(`ALTER TABLE ${qualified(t)} DISABLE TRIGGER USER`);
    for (const t of [...header.tables].reverse()) await client.query(`DELETE FROM ${qualified(t)}`);
    for (const t of header.tables) {
      const sink = client.query(copyStreams.from(`COPY ${qualified(t)} (${columnList(t)}) FROM STDIN (FORMAT binary)`));
      await pipeline(Readable.from(reader.table()), sink);
      if (sink.rowCount !== t.rows) {
        throw new BackupFileError(`${t.schema}.${t.name}: the backup holds ${sink.rowCount} rows where its header says ${t.rows}`);
      }
    }
    if (!(await reader.atEnd())) throw new BackupFileError('the backup file goes on past its last table: it is not what its header says');
    for (const t of header.tables) await client.query(`ALTER TABLE ${qualified(t)} ENABLE TRIGGER USER`);
    for (const s of header.sequences) {
      await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [qualified(s), s.lastValue, s.isCalled]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
