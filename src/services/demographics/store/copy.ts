import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type pg from 'pg';

/** A value for one CSV field of COPY: null is NULL, arrays become PostgreSQL array literals. */
export type CopyValue = string | number | boolean | null | readonly string[];

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
const arrayLiteral = (items: readonly string[]) =>
  `{${items.map((i) => `"${i.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;

function csvField(value: CopyValue): string {
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  return quote(arrayLiteral(value));
}

function* csvChunks(rows: Iterable<CopyValue[]>): Generator<string> {
  // Batching many rows per chunk keeps stream overhead negligible next to the server's work.
  let chunk = '';
  for (const row of rows) {
    chunk += row.map(csvField).join(',') + '\n';
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Streams rows into `table (columns)` with COPY FROM STDIN in CSV form, on the given client. */
export async function copyRows(client: pg.PoolClient, table: string, columns: readonly string[], rows: Iterable<CopyValue[]>) {
  const sink = client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`));
  await pipeline(Readable.from(csvChunks(rows)), sink);
}
