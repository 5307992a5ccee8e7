/**
 * NHS number check digit, Modulus 11 (NHS Data Dictionary): weights 10..2 over the first nine
 * digits; 11 - (sum mod 11), where 11 becomes 0 and 10 means no valid number has those digits.
 */
export function nhsCheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (firstNine.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return check === 11 ? 0 : check;
}

/**
 * Ten zeros pass Modulus 11 (nine zeros' check digit is 0) but are no NHS number: no range was
 * issued from it (PDS: "Scotland and Northern Ireland have their own distinct number ranges";
 * Scotland's CHI numbers begin with a date of birth, and 00 is no day), and it is what an unset
 * field reads as. PDS, EPS and every other service refuse it as they refuse a number failing the check.
 */
const NO_NHS_NUMBER = '0000000000';

export function isValidNhsNumber(value: string): boolean {
  if (!/^[0-9]{10}$/.test(value) || value === NO_NHS_NUMBER) return false;
  return nhsCheckDigit(value.slice(0, 9)) === value.charCodeAt(9) - 48;
}

/** The valid NHS number that follows `after` (exclusive) within its prefix, skipping check-digit-10 stems (and ten zeros). */
export function nextNhsNumber(afterStem: number): { stem: number; nhsNumber: string } {
  let stem = afterStem + 1;
  for (;;) {
    const nine = String(stem).padStart(9, '0');
    const check = nhsCheckDigit(nine);
    if (check !== undefined && isValidNhsNumber(nine + String(check))) return { stem, nhsNumber: nine + String(check) };
    stem += 1;
  }
}
