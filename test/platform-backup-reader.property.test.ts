import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BACKUP_FORMAT, BackupFileError, BackupReader, type BackupHeader } from '../src/platform/db/backup.js';

/** A stream of `bytes` cut into the given piece sizes (as a file and gunzip hand them over). */
async function* inPieces(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes.length ? sizes[i % sizes.length]! : bytes.length);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

const frame = (data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
};

const header = (tables: number): BackupHeader => ({
  format: BACKUP_FORMAT, version: 1, createdAt: '2026-12-06T00:00:00.000Z', migrations: ['platform/001'], sequences: [],
  tables: Array.from({ length: tables }, (_, n) => ({ schema: 's', name: `t${n}`, columns: ['a'], rows: 0 })),
});

async function readAll(reader: BackupReader, tables: number): Promise<Buffer[]> {
  const read: Buffer[] = [];
  for (let t = 0; t < tables; t++) {
    const parts: Buffer[] = [];
    for await (const piece of reader.table()) parts.push(piece);
    read.push(Buffer.concat(parts));
  }
  return read;
}

test('each table\'s bytes come back as written, however the file is cut into pieces', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 4 }), { maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 5 }),
    async (tables, sizes) => {
      const file = Buffer.concat([
        Buffer.from(`${JSON.stringify(header(tables.length))}\n`),
        ...tables.flatMap((frames) => [...frames.map((f) => frame(Buffer.from(f))), frame(Buffer.alloc(0))]),
      ]);
      const reader = new BackupReader(inPieces(file, sizes));
      assert.equal((await reader.header()).tables.length, tables.length);
      const read = await readAll(reader, tables.length);
      assert.deepEqual(read, tables.map((frames) => Buffer.concat(frames.map((f) => Buffer.from(f)))));
      assert.equal(await reader.atEnd(), true);
    }), { numRuns: 200 });
});

test('a file cut short anywhere is refused as cut short, never read as complete', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 3 }),
    fc.nat(),
    async (frames, cutAt) => {
      const headerLine = Buffer.from(`${JSON.stringify(header(1))}\n`);
      const file = Buffer.concat([headerLine, ...frames.map((f) => frame(Buffer.from(f))), frame(Buffer.alloc(0))]);
      const cut = headerLine.length + (cutAt % (file.length - headerLine.length));
      const reader = new BackupReader(inPieces(file.subarray(0, cut), [17]));
      await reader.header();
      await assert.rejects(readAll(reader, 1), (err) => err instanceof BackupFileError && /ends early/.test(err.message));
    }), { numRuns: 200 });
});

test('any bytes at all: the header is read or refused as no backup, never another error', async () => {
  await fc.assert(fc.asyncProperty(
    fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(`${j}\n`)),
      fc.record({ format: fc.constantFrom(BACKUP_FORMAT, 'other'), version: fc.oneof(fc.constant(1), fc.integer()), tables: fc.constantFrom([], null) })
        .map((h) => Buffer.from(`${JSON.stringify(h)}\n`))),
    async (bytes) => {
      try {
        const read = await new BackupReader(inPieces(bytes, [7])).header();
        assert.equal(read.format, BACKUP_FORMAT);
        assert.equal(read.version, 1);
      } catch (err) {
        assert.ok(err instanceof BackupFileError, String(err));
      }
    }), { numRuns: 300 });
});
