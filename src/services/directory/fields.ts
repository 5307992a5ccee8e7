/**
 * Small, strict readers for untrusted JSON objects (JSONL seed lines, admin request bodies). Each
 * throws an InvalidFieldError naming the field, which callers turn into their own error shape.
 */

export class InvalidFieldError extends Error {
  constructor(readonly field: string, readonly problem: 'missing' | 'invalid', message: string) {
    super(message);
    this.name = 'InvalidFieldError';
  }
}

export const ODS_CODE = /^[A-Z0-9]{3,10}$/;
/** MESH mailbox ids: letters and digits, e.g. X26ABC1 or X26HC005 (upper-cased before the check). */
export const MAILBOX_ID = /^[A-Z0-9]{3,20}$/;
/** MESH workflow ids, e.g. TEST_WORKFLOW, SPINE_PDS_MESH_V1, GPFED_CONFI_ACK. */
export const WORKFLOW_ID = /^[A-Za-z0-9_.-]{1,100}$/;
/** SDS ASIDs are 12-digit numbers in practice; any 1 to 20 digits is accepted. */
export const ASID = /^[0-9]{1,20}$/;
/** MHS party keys are `<ODS code>-<digits>`, e.g. YES-0000806 or A20047-821870. */
export const PARTY_KEY = /^[A-Z0-9]{1,10}-[0-9]{1,10}$/;

/**
 * A name shown to people (an organisation's, a mailbox's, a billing entity): a character that is not
 * a space (names are trimmed or shown as given) and no control character. The admin API's schemas
 * and the console's forms both check it.
 */
export const DISPLAY_NAME_PATTERN = '^(?=.*\\S)[^\\u0000-\\u001f\\u007f-\\u009f]+$';

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidFieldError('', 'invalid', `${what} must be a JSON object`);
  }
  return value as JsonObject;
}

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

export interface StringRule {
  pattern?: RegExp;
  max?: number;
  /** Applied before the pattern check, e.g. upper-casing identifiers clients send in any case. */
  normalise?: (s: string) => string;
}

export function requiredString(obj: JsonObject, key: string, rule: StringRule = {}): string {
  const value = obj[key];
  if (value === undefined || value === null || value === '') {
    throw new InvalidFieldError(key, 'missing', `'${key}' is required`);
  }
  return checkString(key, value, rule);
}

export function optionalString(obj: JsonObject, key: string, rule: StringRule = {}): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null || value === '') return undefined;
  return checkString(key, value, rule);
}

function checkString(key: string, value: unknown, { pattern, max = 200, normalise }: StringRule): string {
  if (typeof value !== 'string') throw new InvalidFieldError(key, 'invalid', `'${key}' must be a string, not ${show(value)}`);
  if (value.length > max) throw new InvalidFieldError(key, 'invalid', `'${key}' must be at most ${max} characters`);
  const normalised = normalise ? normalise(value) : value;
  if (pattern && !pattern.test(normalised)) {
    throw new InvalidFieldError(key, 'invalid', `'${key}' ${show(value)} does not match ${pattern.source}`);
  }
  return normalised;
}

export function optionalBoolean(obj: JsonObject, key: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new InvalidFieldError(key, 'invalid', `'${key}' must be true or false, not ${show(value)}`);
  return value;
}

export function optionalInteger(obj: JsonObject, key: string, range: { min: number; max: number }): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw new InvalidFieldError(key, 'invalid', `'${key}' must be a whole number from ${range.min} to ${range.max}, not ${show(value)}`);
  }
  return value;
}

/** A list of strings, each checked (and optionally normalised first, e.g. upper-cased mailbox ids). */
export function stringList(
  obj: JsonObject, key: string,
  options: { pattern?: RegExp; normalise?: (s: string) => string; required?: boolean; maxItems?: number } = {},
): string[] {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (options.required) throw new InvalidFieldError(key, 'missing', `'${key}' is required`);
    return [];
  }
  if (!Array.isArray(value)) throw new InvalidFieldError(key, 'invalid', `'${key}' must be a list of strings`);
  const maxItems = options.maxItems ?? 10_000;
  if (value.length > maxItems) throw new InvalidFieldError(key, 'invalid', `'${key}' may hold at most ${maxItems} entries`);
  const seen = new Set<string>();
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'string') throw new InvalidFieldError(key, 'invalid', `'${key}[${i}]' must be a string, not ${show(item)}`);
    const normalised = options.normalise ? options.normalise(item) : item;
    if (options.pattern && !options.pattern.test(normalised)) {
      throw new InvalidFieldError(key, 'invalid', `'${key}[${i}]' ${show(item)} does not match ${options.pattern.source}`);
    }
    seen.add(normalised);
  }
  return [...seen];
}
