import { nhsCheckDigit } from '../../../platform/nhs-number.js';

/**
 * NHS numbers for the synthetic population, all valid (Modulus 11) and in the 9xx test ranges that
 * are never issued to real people. They start at the bottom of the 999 block, as the PDS allocator
 * does (`demographics.nhs_number_stems`, which the bulk loader moves past what it loads), but stop
 * short of the block's top so POST /Patient always has numbers left; a population larger than
 * that (~818,000) continues in the 998 block, then 997 and so on.
 */
const BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [999_000_000, 999_899_999],
  [998_000_000, 998_999_999],
  [997_000_000, 997_999_999],
  [996_000_000, 996_999_999],
];

export class SyntheticNhsNumbers {
  private block = 0;
  private stem: number;

  constructor() {
    this.stem = BLOCKS[0]![0] - 1;
  }

  next(): string {
    for (;;) {
      this.stem += 1;
      if (this.stem > BLOCKS[this.block]![1]) {
        this.block += 1;
        if (this.block >= BLOCKS.length) throw new Error('the synthetic population has used every NHS number in its test ranges');
        this.stem = BLOCKS[this.block]![0];
      }
      const nine = String(this.stem);
      const check = nhsCheckDigit(nine);
      if (check !== undefined) return nine + String(check);
    }
  }
}
