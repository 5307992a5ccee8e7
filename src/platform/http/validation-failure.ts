import type { ErrorObject } from 'ajv';

/** The parts of a request a route declares a schema for, in Fastify's names. */
export type RequestPart = 'headers' | 'params' | 'querystring' | 'body';

/**
 * What was wrong with a request, independent of any wire shape: each service's error handler
 * renders it (FHIR: `MISSING_VALUE` "Missing value - 'name/0/family'" and `INVALID_VALUE`
 * "Invalid value - '1' in field 'gender'"; MESH: its own error body).
 */
export interface ValidationFailure {
  part: RequestPart;
  /** `missing`: a required field is absent; `unexpected`: a field the schema does not allow; `invalid`: anything else. */
  kind: 'missing' | 'invalid' | 'unexpected';
  /**
   * Where, as PDS writes it: `identifier/0/value`, `name/0/given/0` ('' for the whole part).
   * For a header, its canonical name (`X-Request-ID`).
   */
  path: string;
  /** The offending value (absent when missing). */
  value?: unknown;
  /** The schema keyword that refused it: required, type, enum, pattern, format, minItems, maxItems, … */
  keyword: string;
}

/** Thrown by the door before any handler runs; services render `failure` in their own error shape. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly failure: ValidationFailure) {
    super(`${failure.kind} ${failure.part} field '${failure.path}'`);
    this.name = 'RequestValidationError';
  }
}

/** JSON Pointer (RFC 6901) → the reference tokens it names. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Reference tokens → the path as PDS writes it in diagnostics: `name/0/given/0`. */
export const fieldPath = (segments: readonly string[]): string => segments.join('/');

/** The value a JSON Pointer names inside `root`, or undefined. */
export function valueAt(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * How a value reads inside a diagnostic: strings as they are, anything else as JSON; a value nested
 * too deeply for JSON.stringify (a body of thousands of nested arrays parses, but does not
 * serialise again: the stack runs out) is described, not quoted.
 */
export function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) return '(a value nested too deeply to show)';
    throw err;
  }
}

/** How much of a client's value a diagnostic quotes: enough to recognise it, never the whole of a huge one. */
export const MAX_QUOTED_CHARACTERS = 100;

/**
 * A value as a diagnostic quotes it: whole when short, else its first `max` characters and how
 * long it was (a 1 MB value is not echoed back to its sender). A surrogate pair is never split.
 */
export function clipForDiagnostics(text: string, max = MAX_QUOTED_CHARACTERS): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** A door failure with its value and path clipped for quoting (each path segment at most `max` characters). */
export function clippedFailure(failure: ValidationFailure, max = MAX_QUOTED_CHARACTERS): ValidationFailure {
  const path = failure.path.length <= max ? failure.path : failure.path.split('/').map((segment) => clipForDiagnostics(segment, max)).join('/');
  if (failure.value === undefined) return { ...failure, path };
  return { ...failure, path, value: clipForDiagnostics(displayValue(failure.value), max) };
}

// Header names as the NHS specs spell them; others are written Title-Case.
const HEADER_NAMES = ['X-Request-ID', 'X-Correlation-ID', 'If-Match', 'Content-Type', 'NHSD-Session-URID',
  'NHSD-End-User-Organisation-ODS', 'Authorization', 'Accept'];
const HEADER_BY_LOWER = new Map(HEADER_NAMES.map((name) => [name.toLowerCase(), name]));

export function headerName(lower: string): string {
  return HEADER_BY_LOWER.get(lower.toLowerCase()) ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

// With the u flag a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** A path from the root, each step pointing at the one before it: a step costs the same at any depth. */
interface PathStep { segment: string; before?: PathStep }

const segmentsOf = (step: PathStep | undefined): string[] => {
  const segments: string[] = [];
  for (let at = step; at; at = at.before) segments.push(at.segment);
  return segments.reverse();
};

/**
 * The first leaf of a JSON value, in document order, that `found` picks, with its path: with
 * `keys`, an object's keys are read as leaves too, each before its value. Walked with a stack of its
 * own, not by recursion, and without copying the path at each level: a body nested thousands deep is
 * walked in time linear in its size (recursing, a 6 kB body 3,000 arrays deep took 0.18 s of the
 * event loop, and one 4,000 deep ran out of stack).
 */
function firstLeaf(value: unknown, found: (leaf: unknown) => boolean, keys: boolean): { segments: string[]; value: unknown } | undefined {
  const pending: Array<{ value: unknown; at: PathStep | undefined }> = [{ value, at: undefined }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: item, at } = next;
    if (item === null || typeof item !== 'object') {
      if (found(item)) return { segments: segmentsOf(at), value: item };
      continue;
    }
    // Pushed last to first, so that the first is taken first.
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push({ value: item[i], at: { segment: String(i), before: at } });
      continue;
    }
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const step = { segment: key, before: at };
      pending.push({ value: child, at: step });
      if (keys) pending.push({ value: key, at: step });
    }
  }
  return undefined;
}

/**
 * The first string in a JSON value (keys included), in document order, that no UTF-8 encoder, and
 * so no PostgreSQL text, can take: a lone surrogate.
 */
export function findIllFormedString(value: unknown): { segments: string[]; value: string } | undefined {
  return firstLeaf(value, (leaf) => typeof leaf === 'string' && LONE_SURROGATE.test(leaf), true) as { segments: string[]; value: string } | undefined;
}

/**
 * The path to a container (object or array) more than `max` containers deep in a JSON value, the
 * first in document order, walked as `firstLeaf` walks (a stack of its own).
 */
export function findNestedDeeperThan(value: unknown, max: number): string[] | undefined {
  const pending: Array<{ value: unknown; depth: number; at: PathStep | undefined }> = [{ value, depth: 0, at: undefined }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: item, at } = next;
    if (item === null || typeof item !== 'object') continue;
    const depth = next.depth + 1;
    if (depth > max) return segmentsOf(at);
    const entries = Array.isArray(item) ? item.map((child, i) => [String(i), child] as const) : Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], depth, at: { segment: entries[i]![0], before: at } });
  }
  return undefined;
}

/**
 * The path to the first number in a JSON value, in document order, that is not finite: what
 * `JSON.parse` makes of a literal too large for a double (`1e309`).
 */
export function findNonFiniteNumber(value: unknown): string[] | undefined {
  return firstLeaf(value, (leaf) => typeof leaf === 'number' && !Number.isFinite(leaf), false)?.segments;
}

type Branch = Record<string, unknown> & { properties?: Record<string, { enum?: unknown[]; const?: unknown }> };

/**
 * A property every branch of an anyOf/oneOf fixes with `enum`/`const` (FHIR extensions: `url`):
 * the data's value of it says which branch the client meant.
 */
function discriminatorOf(branches: Branch[]): string | undefined {
  const first = branches[0]?.properties;
  if (!first) return undefined;
  return Object.keys(first).find((p) => branches.every((b) => {
    const s = b.properties?.[p];
    return s !== undefined && (Array.isArray(s.enum) || 'const' in s);
  }));
}

const allows = (s: { enum?: unknown[]; const?: unknown }, v: unknown) => (Array.isArray(s.enum) ? s.enum.includes(v) : s.const === v);

type Reported = ErrorObject | { keyword: 'discriminator'; instancePath: string; property: string; value: unknown };

/** Where an error is, down to the property it names as missing or unexpected. */
function reach(error: Reported): string[] {
  const at = pointerSegments(error.instancePath);
  if (error.keyword === 'discriminator') return [...at, (error as { property: string }).property];
  const params = (error as ErrorObject).params as Record<string, unknown>;
  if (error.keyword === 'required') return [...at, String(params.missingProperty)];
  if (error.keyword === 'additionalProperties') return [...at, String(params.additionalProperty)];
  return at;
}

/** Whether a branch that failed at `a` got further through the document than one that failed at `b` (1), less far (-1), or neither (0). */
function compareReach(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    // A later item of the same list: everything before it passed.
    return /^[0-9]+$/.test(a[i]!) && /^[0-9]+$/.test(b[i]!) ? Math.sign(Number(a[i]) - Number(b[i])) : 0;
  }
  return Math.sign(a.length - b.length);
}

/** The better of two branches' errors: the one further on; else one that is not a missing field (that branch's shape fits). */
function better(a: Reported, b: Reported): boolean {
  const compared = compareReach(reach(a), reach(b));
  return compared !== 0 ? compared > 0 : a.keyword !== 'required' && b.keyword === 'required';
}

/**
 * The one error to report from Ajv's list (Ajv run with `verbose`, stopping at the first failing
 * keyword). Ajv lists a failed anyOf/oneOf after the errors of each of its branches. The branches
 * the client can have meant are those its discriminator (`url`) allows (none: the url is what is
 * wrong); of those, the one that got furthest through the data before failing (see `better`).
 */
export function primaryError(errors: readonly ErrorObject[]): Reported {
  const last = errors[errors.length - 1]!;
  if (last.keyword !== 'anyOf' && last.keyword !== 'oneOf') return errors[0]!;
  const branches = Array.isArray(last.schema) ? (last.schema as Branch[]) : [];
  let candidates = branches.map((_b, i) => i);
  const discriminator = discriminatorOf(branches);
  if (discriminator !== undefined && last.data !== null && typeof last.data === 'object') {
    const value = (last.data as Record<string, unknown>)[discriminator];
    candidates = candidates.filter((i) => allows(branches[i]!.properties![discriminator]!, value));
    if (candidates.length === 0) return { keyword: 'discriminator', instancePath: last.instancePath, property: discriminator, value };
  }
  let best: Reported | undefined;
  for (const i of candidates) {
    const branchErrors = errors.filter((e) => e.schemaPath.startsWith(`${last.schemaPath}/${i}/`));
    if (branchErrors.length === 0) continue;
    const reported = primaryError(branchErrors);
    if (!best || better(reported, best)) best = reported;
  }
  return best ?? last;
}

/** Ajv's errors for one request part → the failure the service renders. */
export function failureFrom(part: RequestPart, errors: readonly ErrorObject[], data: unknown): ValidationFailure {
  const error = primaryError(errors);
  const at = pointerSegments(error.instancePath);
  const describe = (segments: string[]) => (part === 'headers' && segments.length > 0 ? headerName(segments[0]!) : fieldPath(segments));
  if (error.keyword === 'discriminator') {
    const { property, value } = error as { property: string; value: unknown };
    return value === undefined
      ? { part, kind: 'missing', path: describe([...at, property]), keyword: 'required' }
      : { part, kind: 'invalid', path: describe([...at, property]), value, keyword: 'enum' };
  }
  const params = (error as ErrorObject).params as Record<string, unknown>;
  if (error.keyword === 'required') {
    return { part, kind: 'missing', path: describe([...at, String(params.missingProperty)]), keyword: 'required' };
  }
  if (error.keyword === 'additionalProperties') {
    const segments = [...at, String(params.additionalProperty)];
    return { part, kind: 'unexpected', path: describe(segments), value: valueAt(data, segments), keyword: 'additionalProperties' };
  }
  return { part, kind: 'invalid', path: describe(at), value: valueAt(data, at), keyword: error.keyword };
}
