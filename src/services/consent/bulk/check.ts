import type { Queryable } from '../../../platform/db/pool.js';
import { optedOutAmong } from '../store.js';
import { nhsNumberLines, type NhsNumberLine } from './nhs-number-lines.js';

/**
 * The bulk opt-out check: streams a list of NHS numbers through the opt-out flags a batch at a
 * time and yields the lines of those who have not opted out (`9000000009,`, the input's form,
 * with its line ending). The store answers one query per batch; the next batch is read while the
 * current one is being checked, and nothing holds more than two batches.
 */
export interface CheckTotals {
  valid: number;
  invalid: number;
  optedOut: number;
  kept: number;
}

export const newTotals = (): CheckTotals => ({ valid: 0, invalid: 0, optedOut: 0, kept: 0 });

/** NHS England's reply to a file with an invalid line (API-NOTES §7): the whole file is refused. */
export const INVALID_FILE_REPLY = 'The file contains one or more invalid NHS Numbers.';

export class InvalidNhsNumberFile extends Error {
  constructor(readonly line: NhsNumberLine) {
    super(`line ${line.lineNo}: '${line.text}' is not a valid NHS number: ${line.problem}`);
  }
}

export const errorLine = (line: NhsNumberLine) => `ERROR line ${line.lineNo}: '${line.text}' is not a valid NHS number: ${line.problem}`;

export interface CheckOptions {
  /** When the check is made: a version of a flag counts once its `dateTime` has come. */
  at: Date;
  /** 'reject' throws `InvalidNhsNumberFile` at the first invalid line (MESH); 'report' writes an error line for each (HTTP). */
  invalid: 'reject' | 'report';
  eol?: string;
  batchSize?: number;
  totals?: CheckTotals;
}

export async function* checkNhsNumbers(db: Queryable, input: AsyncIterable<Buffer | string>, options: CheckOptions): AsyncGenerator<string> {
  const totals = options.totals ?? newTotals();
  const eol = options.eol ?? '\n';
  const batches = nhsNumberLines(input, options.batchSize)[Symbol.asyncIterator]();
  let next = batches.next();
  for (;;) {
    const step = await next;
    if (step.done) return;
    // Read ahead: the next batch is parsed while this one's query runs.
    next = batches.next();
    next.catch(() => undefined);
    const batch = step.value;
    const numbers: string[] = [];
    for (const line of batch) {
      if (line.nhsNumber) numbers.push(line.nhsNumber);
      else if (options.invalid === 'reject') throw new InvalidNhsNumberFile(line);
    }
    const optedOut = await optedOutAmong(db, numbers, options.at);
    let out = '';
    for (const line of batch) {
      if (!line.nhsNumber) {
        totals.invalid += 1;
        out += errorLine(line) + eol;
        continue;
      }
      totals.valid += 1;
      if (optedOut.has(line.nhsNumber)) totals.optedOut += 1;
      else {
        totals.kept += 1;
        out += `${line.nhsNumber},${eol}`;
      }
    }
    if (out) yield out;
  }
}
