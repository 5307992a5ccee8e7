import type { FastifyInstance, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isValidNhsNumber } from '../nhs-number.js';
import { isCalendarDate, isYearZero } from '../fhir/dates.js';
import { RequestValidationError, failureFrom, type RequestPart, type ValidationFailure } from './validation-failure.js';

export { RequestValidationError, type RequestPart, type ValidationFailure } from './validation-failure.js';

/**
 * Input validated at the door: one mechanism for every route of every service.
 *
 * A route declares what it accepts as Fastify route schemas, the same objects `@fastify/swagger`
 * turns into the service's OpenAPI document:
 *
 *     app.patch('/Patient/:id', {
 *       schema: { headers, params, body },          // JSON Schema: the NHS spec's own, or TypeBox
 *       config: { activity: 'patient:write', checkOrder: ['headers', 'body', 'params'] },
 *     }, handler);
 *
 * Before the handler runs (after authentication, in the preValidation phase) each declared part is
 * checked in the route's `checkOrder` (default headers, params, querystring, body), because NHS
 * APIs order their checks (PDS PATCH: If-Match, then X-Request-ID, then Content-Type, then the
 * body). Within a part Ajv checks `required` in the order listed, then each property; to check
 * headers one after another (each present, then valid), build the schema with `parametersSchema`
 * (openapi-refs.ts), which lists them in an `allOf`. NHS spec schemas come from the spec file with
 * `schemaAt(spec, '#/components/schemas/…')`. A body schema may be given per media type
 * (`body: { content: { 'application/json-patch+json': { schema } } }`).
 *
 * The first thing wrong is thrown as a `RequestValidationError` carrying a structured
 * `ValidationFailure` (missing / invalid / unexpected, the field's path as PDS writes it, the value,
 * the keyword). `classifyError` renders it as FHIR MISSING_VALUE / INVALID_VALUE and hands it on as
 * `ClassifiedError.failure`, so a service's own error handler can render it in its own codes and
 * shape (PDS: `demographics/validation-errors.ts`; MESH, OAuth2: their handlers, from `failure`).
 * For what a handler builds (a patched record), `conformanceTo(schema)` applies the same check;
 * `everySchemaError` lists every failure, for an API that reports them all (NRL).
 *
 * Bodies are never coerced (a number where the spec says string is refused, not stringified);
 * headers, path parameters and query strings are, as Fastify does, since they arrive as text.
 * Formats: ajv-formats' (uuid, …; date and date-time without year 0000, which FHIR and PostgreSQL
 * lack), `nhs-number` (with its check digit) and the
 * OpenAPI-only ones the NHS specs use (`url`, `datetime`, `jsonpointer`) as annotations.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The order in which the door checks the declared request parts (the API's own order of checks). */
    checkOrder?: RequestPart[];
    /**
     * For a route with a method that carries a body but no `schema.body`: what it does with the
     * body instead. `stream`: reads it as opaque bytes no schema describes (MESH chunks); `none`:
     * never reads it (a MESH acknowledgement). `test/route-schemas.test.ts` holds every route to it.
     */
    body?: 'stream' | 'none';
    /** The route decodes a request's Content-Encoding itself (MESH's gzip chunks); elsewhere any but identity is 415. */
    readsContentCoding?: true;
  }
}

const DEFAULT_ORDER: readonly RequestPart[] = ['headers', 'params', 'querystring', 'body'];

// ajv and ajv-formats are CommonJS; under ESM their default export sits one level down.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
type AjvInstance = InstanceType<typeof Ajv>;
type FormatCheck = { validate: (text: string) => boolean };
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as ((ajv: AjvInstance) => void) & { get(name: string): FormatCheck };
const dateTimeFormat = addFormats.get('date-time');

/**
 * Every `pattern` the door has compiled. A pattern from a spec runs on whatever a client sends, up
 * to the body limit, and V8's backtracking engine runs some patterns in time polynomial in the
 * value's length (NRL's copy of FHIR's base64Binary took 2.3 s for 20,000 spaces):
 * test/door-patterns.test.ts checks that every one of them runs in linear time.
 */
export const doorPatterns = new Set<string>();
// Called once per pattern as a schema is compiled; the validators then use the RegExp it returned.
const doorRegExp = Object.assign((pattern: string, flags: string) => {
  doorPatterns.add(pattern);
  return new RegExp(pattern, flags);
}, { code: 'doorRegExp' });

// Every ajv of the project is made here, so every pattern it compiles is recorded (test/door-patterns.test.ts holds src to it).
function newAjv(coerce: boolean, allErrors = false): AjvInstance {
  // verbose: errors carry their schema and data, so a failed anyOf can say which branch was meant.
  // strict off: the NHS specs are OpenAPI 3.0 schemas, with `example` and other annotations.
  // ajv's optimizing pass stays on: it is a third of compiling the schemas, once per process at start
  // (compileEveryDoor), but its validators check EPS's large bundles faster (an order in 29 against
  // 36 µs, a dispense notification in 9 against 10.5 µs: bench/README.md), on every request.
  const ajv = new Ajv({
    strict: false, allErrors, verbose: true, coerceTypes: coerce ? 'array' : false, useDefaults: false, logger: false, code: { regExp: doorRegExp },
  });
  addFormats(ajv);
  // Dates as FHIR and PostgreSQL take them: ajv-formats' would pass year 0000 on to the database.
  ajv.addFormat('date', isCalendarDate);
  ajv.addFormat('date-time', (text: string) => dateTimeFormat.validate(text) && !isYearZero(text));
  ajv.addFormat('nhs-number', isValidNhsNumber);
  for (const annotation of ['url', 'datetime', 'jsonpointer']) ajv.addFormat(annotation, true);
  return ajv;
}

const bodyAjv = newAjv(false);
const textAjv = newAjv(true);
const compiled = new WeakMap<object, ValidateFunction>();

/** `schema` compiled by `ajv` once, kept in `cache` (schemas are shared between routes and between servers in one process). */
function compiledOnce(ajv: AjvInstance, cache: WeakMap<object, ValidateFunction>, schema: object): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

/** Compiles a schema once, for the door's check of a request part. */
export function compileSchema(schema: object, part: RequestPart): ValidateFunction {
  return compiledOnce(part === 'body' ? bodyAjv : textAjv, compiled, schema);
}

// Node gives header names in lower case; a schema may spell them as the spec does.
function lowerCaseHeaderNames(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  return {
    ...schema,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.toLowerCase(), v])) } : {}),
    ...(Array.isArray(schema.required) ? { required: (schema.required as string[]).map((k) => k.toLowerCase()) } : {}),
    ...(Array.isArray(schema.allOf) ? { allOf: (schema.allOf as Array<Record<string, unknown>>).map(lowerCaseHeaderNames) } : {}),
  };
}

type PartCheck = (request: FastifyRequest) => { validate: ValidateFunction; data: unknown } | undefined;

function partCheck(schema: FastifySchema, part: RequestPart): PartCheck | undefined {
  const declared = schema[part] as Record<string, unknown> | undefined;
  if (!declared) return undefined;
  if (part === 'headers') {
    const validate = compileSchema(lowerCaseHeaderNames(declared), part);
    return (request) => ({ validate, data: request.headers });
  }
  if (part === 'params') {
    const validate = compileSchema(declared, part);
    return (request) => ({ validate, data: request.params });
  }
  if (part === 'querystring') {
    const validate = compileSchema(declared, part);
    return (request) => ({ validate, data: request.query });
  }
  const content = declared.content as Record<string, { schema: object }> | undefined;
  if (!content) {
    const validate = compileSchema(declared, part);
    return (request) => ({ validate, data: request.body ?? null });
  }
  const byMediaType = new Map(Object.entries(content).map(([type, { schema: s }]) => [type, compileSchema(s, part)]));
  return (request) => {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const validate = byMediaType.get(mediaType);
    return validate ? { validate, data: request.body ?? null } : undefined;
  };
}

/** The routes' doors whose schemas are not compiled yet (`compileEveryDoor`). */
const uncompiledDoors = new Set<() => unknown>();

/**
 * Compiles the schemas of every route registered so far whose door has not yet checked a request. A
 * server does so before it listens (`startSpine`): its first requests then pay no compilation, and a
 * schema ajv cannot compile stops the start. Until then a door compiles its own route's schemas when
 * its first request comes: the test suite's processes, each of which builds a server of every
 * service and calls the routes of one or two, skip the rest (every service's schemas are some
 * seconds of CPU).
 */
export function compileEveryDoor(): void {
  for (const compile of uncompiledDoors) compile();
}

/** How many routes' doors have not compiled their schemas yet. */
export const uncompiledDoorCount = (): number => uncompiledDoors.size;

/** The preValidation hook a route with a schema gets: its parts checked in its order. */
function doorFor(route: RouteOptions) {
  const schema = route.schema as FastifySchema;
  const order = route.config?.checkOrder ?? DEFAULT_ORDER;
  let checks: ReadonlyArray<readonly [RequestPart, PartCheck]> | undefined;
  const compile = () => {
    checks ??= order.flatMap((part) => {
      const check = partCheck(schema, part);
      return check ? [[part, check] as const] : [];
    });
    uncompiledDoors.delete(compile);
    return checks;
  };
  uncompiledDoors.add(compile);
  return function checkAtTheDoor(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void) {
    for (const [part, check] of checks ?? compile()) {
      // A body the parser could not take is refused in its turn, after what the API checks before it.
      if (part === 'body' && request.bodyRefusal) return done(request.bodyRefusal);
      const found = check(request);
      if (found && !found.validate(found.data)) {
        return done(new RequestValidationError(failureFrom(part, found.validate.errors ?? [], found.data)));
      }
    }
    done();
  };
}

const acceptAll = () => true;

/**
 * Installs the door on the root instance, before any service registers a route. Fastify's own
 * validation step (which checks params, body, query, headers in that fixed order) is replaced.
 */
export function registerRequestValidation(app: FastifyInstance) {
  app.setValidatorCompiler(() => acceptAll);
  app.addHook('onRoute', (route) => {
    if (!route.schema) return;
    const door = doorFor(route);
    const existing = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [door, ...existing] as RouteOptions['preValidation'];
  });
}

export interface Conformance {
  /** Refuses `value` as the door would (a `RequestValidationError`) if it does not conform. */
  assert(value: unknown): void;
  /** What is wrong with `value`, for callers that phrase the refusal themselves. */
  failure(value: unknown): ValidationFailure | undefined;
}

/**
 * For what a handler builds from a request (a record a PATCH produces, a record about to be
 * stored): the door's check against `schema`. Compiled when the module that holds it loads, so its
 * patterns are among the door's from the start.
 */
export function conformanceTo(schema: object, part: RequestPart = 'body'): Conformance {
  const validate = compileSchema(schema, part);
  const failure = (value: unknown) => (validate(value) ? undefined : failureFrom(part, validate.errors ?? [], value));
  return {
    failure,
    assert(value) {
      const found = failure(value);
      if (found) throw new RequestValidationError(found);
    },
  };
}

const everyErrorAjv = newAjv(false, true);
const compiledForEveryError = new WeakMap<object, ValidateFunction>();

/**
 * Every failure of `value` against `schema` (a body, never coerced), where the door stops at the
 * first: for an API that reports them all (NRL, when the door has refused a body).
 */
export function everySchemaError(schema: object, value: unknown): ErrorObject[] {
  const validate = compiledOnce(everyErrorAjv, compiledForEveryError, schema);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
