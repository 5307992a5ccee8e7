import soundex from 'talisman/phonetics/soundex.js';
import doubleMetaphone from 'talisman/phonetics/double-metaphone.js';

/** Soundex of a normalised (A–Z only) name; '' for an empty name. */
export function soundexOf(normalised: string): string {
  return normalised.length === 0 ? '' : soundex(normalised);
}

/** Primary Double Metaphone key of a normalised name; '' for an empty name. */
export function metaphoneOf(normalised: string): string {
  return normalised.length === 0 ? '' : doubleMetaphone(normalised)[0];
}
