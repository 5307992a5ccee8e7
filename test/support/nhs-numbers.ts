import fc from 'fast-check';
import { isValidNhsNumber, nhsCheckDigit } from '../../src/platform/nhs-number.js';

/** Any valid NHS number: nine digits and their Modulus 11 check digit, ten zeros left out (they pass the check but are no NHS number). */
export const validNhsNumber = fc.integer({ min: 0, max: 999_999_999 })
  .map((n) => String(n).padStart(9, '0'))
  .filter((nine) => nhsCheckDigit(nine) !== undefined)
  .map((nine) => nine + String(nhsCheckDigit(nine)))
  .filter(isValidNhsNumber);
