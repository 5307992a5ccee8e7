import jaroWinkler from 'talisman/metrics/jaro-winkler.js';
import { metaphoneOf, soundexOf } from '../domain/phonetic.js';

/** Names that sound alike (same Soundex or Double Metaphone key) but are spelt differently. */
export const PHONETIC_MATCH = 0.85;
/** Jaro–Winkler similarity below which two spellings are not the same name. */
const SPELLING_THRESHOLD = 0.8;
/** Scale for close spellings, so a near-miss never ties with the exact name. */
const SPELLING_SCALE = 0.95;

/**
 * How alike two normalised names are, in [0, 1]: 1 only when identical; PHONETIC_MATCH when they
 * sound alike; else a scaled Jaro–Winkler similarity for close spellings (typos, transposed
 * letters); 0 for different names. Symmetric by construction.
 */
export function nameSimilarity(a: string, b: string): number {
  if (a === b) return a.length > 0 ? 1 : 0;
  if (a.length === 0 || b.length === 0) return 0;
  const phonetic = soundexOf(a) === soundexOf(b) || metaphoneOf(a) === metaphoneOf(b) ? PHONETIC_MATCH : 0;
  const jw = Math.max(jaroWinkler(a, b), jaroWinkler(b, a));
  const spelling = jw >= SPELLING_THRESHOLD ? Math.min(jw * SPELLING_SCALE, 0.99) : 0;
  return Math.max(phonetic, spelling);
}
