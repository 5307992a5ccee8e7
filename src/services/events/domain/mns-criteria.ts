import { MNS_EVENT_TYPES } from './event-types.js';

/**
 * MNS subscription criteria (`create-or-update-subscription-body.yaml`): `eventType=X`, or
 * `eventType='X' AND key='value' AND …`, where each key filters on the CloudEvent's `filtering`
 * object. MNS's Events Catalogue, which lists the keys per event, is not published as data; any
 * lower-case key is accepted and matches when the event's filtering value equals it (or, for an
 * array, contains it).
 */
export interface MnsCriteria {
  eventType: string;
  filters: Array<{ key: string; value: string }>;
}

const TERM = /^([A-Za-z][A-Za-z0-9_]{0,63})=(?:'([^']{0,256})'|([^'\s]{0,256}))$/;

export function parseMnsCriteria(text: string): MnsCriteria | { problem: string } {
  // Split at one white space each side of AND, each term then trimmed: `\s+AND\s+` took time
  // quadratic in a run of white space (it tried the run from each of its characters).
  const terms = text.split(/\sAND\s/).map((term) => term.trim());
  const parsed: Array<{ key: string; value: string }> = [];
  for (const term of terms) {
    const match = TERM.exec(term);
    if (!match) return { problem: `Invalid criteria term '${term}'` };
    parsed.push({ key: match[1]!, value: match[2] ?? match[3] ?? '' });
  }
  const [first, ...filters] = parsed;
  if (!first || first.key !== 'eventType') return { problem: 'Criteria must start with eventType' };
  if (!MNS_EVENT_TYPES.has(first.value)) return { problem: `Unknown eventType '${first.value}'` };
  const keys = filters.map((f) => f.key);
  if (keys.includes('eventType')) return { problem: 'eventType may appear only once' };
  if (new Set(keys).size !== keys.length) return { problem: 'A filter key may appear only once' };
  // A filter on nothing (`generalpractitioner=''`, or only white space) is a client's slip, not a
  // rule: no publisher filters on an empty value, so it would match nothing, silently, for ever.
  const blank = filters.find((f) => f.value.trim() === '');
  if (blank) return { problem: `Filter '${blank.key}' has no value` };
  // In key order (the keys are unique, and all must match, so order means nothing): two criteria
  // that differ only in their terms' order or quoting parse to the same rule, which is what the
  // 409 for a matching subscription compares.
  return { eventType: first.value, filters: filters.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

export function matchesMnsFilters(criteria: MnsCriteria, filtering: Record<string, unknown> | undefined): boolean {
  return criteria.filters.every(({ key, value }) => {
    const actual = filtering?.[key];
    if (Array.isArray(actual)) return actual.some((v) => String(v) === value);
    return actual !== undefined && actual !== null && String(actual) === value;
  });
}
