import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CopyBinaryReader, CopyFormatError } from './copy-binary.js';

/** Binary COPY data as PostgreSQL writes it (PostgreSQL docs, "COPY", "Binary Format"). */
function copyData(rows: Array<Array<Buffer | null>>, extension: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(19);
  header.write('PGCOPY\n\xff\r\n\0', 'latin1');
  header.writeUInt32BE(extension.length, 15);
  const parts: Buffer[] = [header, extension];
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const field of row) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(field === null ? -1 : field.length);
      parts.push(length, ...(field ? [field] : []));
    }
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

/** `data` cut at the given offsets (any order, duplicates allowed). */
function cut(data: Buffer, offsets: number[]): Buffer[] {
  const ends = [...new Set(offsets.map((o) => o % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const end of [...ends, data.length]) {
    chunks.push(data.subarray(start, end));
    start = end;
  }
  return chunks;
}

const field = fc.uint8Array({ maxLength: 300 }).map((b): Buffer => Buffer.from(b));
const rows = fc.array(fc.array(fc.option(field, { nil: null }), { maxLength: 3 }), { maxLength: 12 });

describe('binary COPY reader', () => {
  it('gives every non-NULL field\'s bytes in order and counts the rows, however the data is cut into chunks', () => {
    fc.assert(fc.property(rows, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), (table, extension, offsets) => {
      const reader = new CopyBinaryReader();
      const pieces = cut(copyData(table, Buffer.from(extension)), offsets).flatMap((chunk) => reader.read(chunk));
      reader.end();
      assert.deepEqual(Buffer.concat(pieces), Buffer.concat(table.flat().filter((f): f is Buffer => f !== null)));
      assert.equal(reader.rows, table.length);
    }));
  });

  it('hands on field bytes as views into the chunk they came in, not copies', () => {
    const data = copyData([[Buffer.from('{"resourceType":"Patient"}\n')]]);
    const piece = new CopyBinaryReader().read(data)[0]!;
    assert.equal(piece.buffer, data.buffer);
  });

  it('data cut short anywhere before its end is an error at the end', () => {
    fc.assert(fc.property(rows, fc.nat(), (table, at) => {
      const data = copyData(table);
      const reader = new CopyBinaryReader();
      reader.read(data.subarray(0, at % data.length));
      assert.throws(() => reader.end(), CopyFormatError);
    }));
  });

  it('refuses data without the signature, and bytes after the end', () => {
    const data = copyData([[Buffer.from('x')]]);
    const wrong = Buffer.from(data);
    wrong[0] = 0x51;
    assert.throws(() => new CopyBinaryReader().read(wrong), CopyFormatError);
    assert.throws(() => new CopyBinaryReader().read(Buffer.concat([data, Buffer.from([0])])), CopyFormatError);
  });
});
