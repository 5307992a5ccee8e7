import { RECORD_TYPES } from './record-types.js';

/**
 * The permission inputs of the admin API, the sandbox API and the CLI, parsed into data or a
 * reason naming the problem.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; problem: string };

/** ODS code or ODS code.extension, as permissions are held, in upper case as callers are keyed (the admin API's schemas use the same patterns). */
export const ORGANISATION = /^[A-Za-z0-9]{1,20}(\.[A-Za-z0-9]{1,20})?$/;
export const APP_ID = /^[A-Za-z0-9._:~-]{1,200}$/;
/** At most this many pointer types in one permission (each type of the value set, twice over). */
export const MAX_POINTER_TYPES = RECORD_TYPES.size * 2;

export function parseOrganisation(value: string): Parsed<string> {
  return ORGANISATION.test(value)
    ? { ok: true, value: value.toUpperCase() }
    : { ok: false, field: 'organisation', problem: `'${value.slice(0, 64)}' is not an ODS code or ODS code.extension` };
}

export function parseAppId(value: string): Parsed<string> {
  return APP_ID.test(value) ? { ok: true, value } : { ok: false, field: 'appId', problem: 'the application id must be 1 to 200 letters, digits or ._:~-' };
}

/** A JSON array of `system|code` pointer types, each in NRL's record type value set; duplicates dropped. */
export function parsePointerTypes(body: unknown): Parsed<string[]> {
  if (!Array.isArray(body)) return { ok: false, field: 'body', problem: 'the body must be a JSON array of "system|code" pointer types' };
  if (body.length > MAX_POINTER_TYPES) return { ok: false, field: 'body', problem: `at most ${MAX_POINTER_TYPES} pointer types` };
  const types: string[] = [];
  for (const [index, item] of body.entries()) {
    if (typeof item !== 'string' || !RECORD_TYPES.has(item)) {
      return {
        ok: false,
        field: `[${index}]`,
        problem: `pointer type ${index} is not a "system|code" of the NRL record type value set (e.g. "http://snomed.info/sct|736253002")`,
      };
    }
    if (!types.includes(item)) types.push(item);
  }
  return { ok: true, value: types };
}
