import { randomBytes } from 'node:crypto';
import { isUuid } from '../../../platform/uuids.js';

/**
 * EPS short-form prescription ids (API-NOTES §4): `XXXXXX-XXXXXX-XXXXXC`, six hex digits, the
 * prescriber's ODS code left-padded with zeros to six, five hex digits, then a check character
 * computed by ISO 7064 MOD 37-2 over the other 17 characters (hyphens removed), from the
 * alphabet `0-9A-Z+`. Example from the spec: `24F5DA-A83008-7EFE6Z`.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+';
const SHAPE = /^[0-9A-F]{6}-[0-9A-Z]{6}-[0-9A-F]{5}[0-9A-Z+]$/;

/** ISO 7064 MOD 37-2 check character of `body` (characters of `0-9A-Z`, hyphens ignored). */
export function checkCharacter(body: string): string {
  let total = 0;
  for (const character of body.replace(/-/g, '')) {
    const value = ALPHABET.indexOf(character);
    if (value < 0 || value > 35) throw new RangeError(`'${character}' is not a base-36 digit`);
    total = ((total + value) * 2) % 37;
  }
  return ALPHABET[(38 - total) % 37]!;
}

export type ShortFormIdProblem = 'shape' | 'checksum';

/** Why `id` is not a short-form prescription id, or undefined when it is one. */
export function shortFormIdProblem(id: string): ShortFormIdProblem | undefined {
  if (!SHAPE.test(id)) return 'shape';
  return checkCharacter(id.slice(0, -1)) === id.slice(-1) ? undefined : 'checksum';
}

export const isValidShortFormId = (id: string) => shortFormIdProblem(id) === undefined;

/** A new short-form id for a prescription written at `odsCode` (an ODS code of at most six characters). */
export function generateShortFormId(odsCode: string, random: (bytes: number) => Buffer = randomBytes): string {
  const ods = odsCode.toUpperCase();
  if (!/^[0-9A-Z]{1,6}$/.test(ods)) throw new RangeError(`'${odsCode}' is not an ODS code of at most six characters`);
  const hex = random(6).toString('hex').toUpperCase();
  const body = `${hex.slice(0, 6)}-${ods.padStart(6, '0')}-${hex.slice(6, 11)}`;
  return `${body}${checkCharacter(body)}`;
}

/** The prescriber's ODS code a short-form id carries (zero padding removed). */
export const odsCodeOfShortFormId = (id: string) => id.slice(7, 13).replace(/^0+/, '');

/** The long-form id (`Extension-DM-PrescriptionId`) is a UUID. */
export const isValidLongFormId = isUuid;
