import type { ErrorObject } from 'ajv';
import { NRL_ERRORS, type NrlIssue } from './errors.js';
import { specPattern } from './schemas.js';

/** `/content/0/attachment/url` → `content[0].attachment.url`: the FHIRPath NRL names a field with. */
export function fhirPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let path = '';
  for (const part of parts) path += /^[0-9]+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  return path;
}

/** What pydantic (NRLF's parser) says about each kind of failure, so diagnostics read as NRL's do. */
function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': return 'field required';
    case 'type': {
      const type = String(params.type);
      if (type === 'string') return 'str type expected';
      if (type === 'array') return 'value is not a valid list';
      if (type === 'object') return 'value is not a valid dict';
      if (type === 'integer') return 'value is not a valid integer';
      if (type === 'boolean') return 'value could not be parsed to a boolean';
      return `${type} type expected`;
    }
    case 'pattern': return `string does not match regex "${specPattern(String(params.pattern))}"`;
    case 'enum': return `unexpected value; permitted: ${(params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ')}`;
    case 'minItems': return `ensure this value has at least ${String(params.limit)} items`;
    // pydantic's words for a string's max_length (OpenSpine's own limits: limits.ts).
    case 'maxLength': return `ensure this value has at most ${String(params.limit)} characters`;
    case 'format': return 'value is not a valid integer';
    case 'additionalProperties': return 'extra fields not permitted';
    default: return error.message ?? 'invalid value';
  }
}

const fieldOf = (error: ErrorObject): string => {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return fhirPath(error.instancePath, String(params.missingProperty));
  if (error.keyword === 'additionalProperties') return fhirPath(error.instancePath, String(params.additionalProperty));
  return fhirPath(error.instancePath) || 'body';
};

/**
 * The body's top-level field a failure at `path` (a FHIRPath) is in: NRLF's parse error names only
 * that (`error['loc'][0]` in its ParseError), so a wrong `content[0].attachment.size` is `content`.
 */
export const topLevelField = (path: string): string => path.split(/[.[]/, 1)[0] || 'body';

/**
 * The order NRLF lists a refused body's or query's issues in, which ajv's (required fields, then
 * unknown ones, then each field's own failures) is not: pydantic checks a model's fields in the
 * order the model declares them (the spec schema's `properties`), a missing one where it is
 * declared, then names the fields it does not know, in the order they were sent; NRLF's check of a
 * DocumentReference's extra fields is a pass after that. So: failures of declared fields in the
 * schema's order, then fields it does not have (at any depth), each group by top-level field, those
 * the schema does not declare in the order sent; ties keep ajv's order (stable). Deterministic for
 * a given request, whatever the order of the checks inside ajv.
 */
export interface FieldOrder {
  /** The schema's top-level properties, in the order it declares them. */
  declared: readonly string[];
  /** The top-level names of the request's data, in the order sent. */
  sent: readonly string[];
}

function inFieldOrder(errors: readonly ErrorObject[], order: FieldOrder, topField: (error: ErrorObject) => string, extraLast: boolean): ErrorObject[] {
  const rank = (name: string) => {
    const declared = order.declared.indexOf(name);
    if (declared >= 0) return declared;
    const sent = order.sent.indexOf(name);
    return order.declared.length + (sent >= 0 ? sent : order.sent.length);
  };
  const keyed = errors.map((error, index) => ({
    error, index, extra: extraLast && error.keyword === 'additionalProperties' ? 1 : 0, rank: rank(topField(error)),
  }));
  keyed.sort((a, b) => a.extra - b.extra || a.rank - b.rank || a.index - b.index);
  return keyed.map((k) => k.error);
}

/** A DocumentReference body that fails the spec's schema: NRLF's parse error for bodies, one issue per failure, in NRLF's order. */
export function documentBodyIssues(errors: readonly ErrorObject[], order: FieldOrder = { declared: [], sent: [] }): NrlIssue[] {
  const issues: NrlIssue[] = [];
  for (const error of dedupe(inFieldOrder(errors, order, (e) => topLevelField(fieldOf(e)), true))) {
    if (error.keyword === 'additionalProperties') {
      issues.push({ spec: NRL_ERRORS.INVALID_RESOURCE, diagnostics: 'The resource contains extra fields', expression: fieldOf(error) });
      continue;
    }
    const field = topLevelField(fieldOf(error));
    issues.push({ spec: NRL_ERRORS.MESSAGE_NOT_WELL_FORMED, diagnostics: `Request body could not be parsed (${field}: ${describe(error)})`, expression: field });
  }
  return issues;
}

/**
 * Search parameters that fail the spec's RequestParams schema, or a path that fails its DocumentId:
 * NRLF's parse error for parameters. A `_search` body is a body to NRLF: MESSAGE_NOT_WELL_FORMED,
 * "Request body could not be parsed", and a body that is no object at all is named `body`. One
 * issue per failure, in NRLF's order (inFieldOrder).
 */
export function searchBodyIssues(
  errors: readonly ErrorObject[], where: 'query' | 'path' | 'body' = 'query', order: FieldOrder = { declared: [], sent: [] },
): NrlIssue[] {
  return dedupe(inFieldOrder(errors, order, parameterName, false)).map((error) => {
    const given = parameterName(error).slice(0, MAX_ECHOED_NAME);
    const name = where === 'body' && given === '' && error.instancePath === '' && error.keyword === 'type' ? 'body' : given;
    return {
      spec: where === 'body' ? NRL_ERRORS.MESSAGE_NOT_WELL_FORMED : NRL_ERRORS.INVALID_PARAMETER,
      diagnostics: where === 'body' ? `Request body could not be parsed (${name}: ${describe(error)})` : `Invalid ${where} parameter (${name}: ${describe(error)})`,
      // FHIR needs text in an expression: a nameless parameter is named in none.
      ...(name ? { expression: name } : {}),
    };
  });
}

/** A client's own parameter name is echoed at most this long (as the search-parameter parser does). */
const MAX_ECHOED_NAME = 100;

/** Parameters are flat: the name as the client sent it (`subject:identifier`, `0`), not a FHIRPath. */
function parameterName(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.instancePath === '') {
    if (error.keyword === 'required') return String(params.missingProperty);
    if (error.keyword === 'additionalProperties') return String(params.additionalProperty);
    return '';
  }
  return error.instancePath.split('/')[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** ajv reports a value once per failed keyword and per `$ref` hop; one issue per field and keyword is enough. */
function dedupe(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${fieldOf(error)} ${error.keyword}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, 20);
}
