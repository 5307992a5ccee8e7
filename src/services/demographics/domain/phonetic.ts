import soundex from 'talisman/phonetics/soundex.js';
import doubleMetaphone from 'talisman/phonetics/double-metaphone.js';

// Names repeat heavily across a population (a few thousand surnames cover most people), and the
// bulk loader derives keys for every record: memoising makes loading a million records cheap.
const MEMO_LIMIT = 100_000;
const soundexMemo = new Map<string, string>();
const metaphoneMemo = new Map<string, string>();

function memoised(memo: Map<string, string>, key: string, compute: (k: string) => string): string {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute(key);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, value);
  }
  return value;
}

/** Soundex of a normalised (A–Z only) name; '' for an empty name. */
export function soundexOf(normalised: string): string {
  return normalised.length === 0 ? '' : memoised(soundexMemo, normalised, soundex);
}

/** Primary Double Metaphone key of a normalised name; '' for an empty name. */
export function metaphoneOf(normalised: string): string {
  return normalised.length === 0 ? '' : memoised(metaphoneMemo, normalised, (n) => doubleMetaphone(n)[0]);
}
