/**
 * Normal forms shared by the write path (search columns), the bulk loader and search parameters,
 * so a stored value and a searched value are compared in one form.
 */

/** Names compare case- and accent-insensitively and ignore punctuation: "O'Brien-Smith" → "OBRIENSMITH". */
export function normaliseName(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[^A-Z]/g, '');
}

/** Given names are matched token by token: ["John Paul"] and ["John", "Paul"] both give JOHN, PAUL. */
export function givenTokens(given: readonly string[] | undefined): string[] {
  if (!given) return [];
  return given.flatMap((g) => g.split(/[\s]+/)).map(normaliseName).filter((t) => t.length > 0);
}

/** PDS spec: postcode search ignores spaces and case. */
export function normalisePostcode(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** Phone numbers compare on digits (and a leading +), so "01632 960587" finds "01632960587". */
export function normalisePhone(value: string): string {
  const trimmed = value.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}
