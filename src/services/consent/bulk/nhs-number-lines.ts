import { isValidNhsNumber } from '../../../platform/nhs-number.js';

/**
 * The bulk check's input, read as it streams: one NHS number a line, optionally followed by a comma
 * (`9000000009,`, the form NHS England's opt-out check takes over MESH; API-NOTES §7), LF or CRLF,
 * blank lines ignored, an optional UTF-8 byte order mark. Lines come out in batches, so the check
 * can ask the store about a batch at a time; nothing holds more than a batch and one partial line,
 * and a line longer than any NHS number could be is cut short (and invalid) rather than buffered.
 */
export interface NhsNumberLine {
  /** 1-based, counting every line of the input, blank ones too. */
  lineNo: number;
  /** The 10 digits, when the line is a valid NHS number (Modulus 11). */
  nhsNumber?: string;
  /** What is wrong, when it is not: for the error line. */
  problem?: string;
  /** The line as received (printable ASCII only, at most MAX_LINE characters), for the error line. */
  text: string;
}

/** A line longer than this cannot be an NHS number with its comma and spaces. */
export const MAX_LINE = 64;
const LF = 0x0a;
const CR = 0x0d;

const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

/** One line's verdict (`raw` without its line ending). */
export function readNhsNumberLine(raw: string, lineNo: number, cut = false): NhsNumberLine | undefined {
  const trimmed = raw.trim();
  if (trimmed === '' && !cut) return undefined;
  const text = printable(raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw);
  if (cut) return { lineNo, text, problem: `the line is longer than ${MAX_LINE} characters` };
  const value = trimmed.endsWith(',') ? trimmed.slice(0, -1).trimEnd() : trimmed;
  if (!/^[0-9]{10}$/.test(value)) {
    return { lineNo, text, problem: /^[0-9 -]+$/.test(value) ? 'an NHS number is 10 digits with no spaces or hyphens' : 'not an NHS number (10 digits, optionally followed by a comma)' };
  }
  if (!isValidNhsNumber(value)) return { lineNo, text, problem: 'its check digit is wrong (Modulus 11)' };
  return { lineNo, nhsNumber: value, text };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The input as Buffers, without a UTF-8 byte order mark at its very start (which may arrive split). */
async function* withoutByteOrderMark(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (checked) {
      yield buffer;
      continue;
    }
    head = Buffer.concat([head, buffer]);
    if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue;
    checked = true;
    yield head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
  }
  if (!checked && head.length > 0) yield head;
}

/** The lines of `input`, in batches of at most `batchSize`, as the input arrives. */
export async function* nhsNumberLines(input: AsyncIterable<Buffer | string>, batchSize = 5_000): AsyncGenerator<NhsNumberLine[]> {
  let batch: NhsNumberLine[] = [];
  let lineNo = 0;
  // The current line's bytes so far, at most MAX_LINE + 1 of them (more only marks it too long).
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let cut = false;

  const finishLine = (tail: Buffer) => {
    lineNo += 1;
    let bytes = partialBytes === 0 ? tail : Buffer.concat([...partial, tail]);
    partial = [];
    partialBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    const line = readNhsNumberLine(bytes.toString('latin1'), lineNo, cut || bytes.length > MAX_LINE);
    cut = false;
    if (line) batch.push(line);
  };
  const keep = (piece: Buffer) => {
    if (cut) return;
    const room = MAX_LINE + 1 - partialBytes;
    if (piece.length > room) {
      cut = true;
      piece = piece.subarray(0, room);
    }
    // Copy: a kept slice must not pin the whole input chunk.
    partial.push(Buffer.from(piece));
    partialBytes += piece.length;
  };

  for await (const buffer of withoutByteOrderMark(input)) {
    let start = 0;
    for (let end = buffer.indexOf(LF, start); end !== -1; end = buffer.indexOf(LF, start)) {
      const tail = buffer.subarray(start, end);
      if (cut) finishLine(Buffer.alloc(0));
      else if (partialBytes + tail.length > MAX_LINE + 1) { keep(tail); finishLine(Buffer.alloc(0)); }
      else finishLine(tail);
      start = end + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (start < buffer.length) keep(buffer.subarray(start));
  }
  if (partialBytes > 0 || cut) finishLine(Buffer.alloc(0));
  if (batch.length > 0) yield batch;
}
