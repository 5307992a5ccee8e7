import type { FastifyRequest } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import { DIRECTORY_ADMIN_ERRORS } from '../errors.js';
import { InvalidFieldError } from '../fields.js';

/** Shared plumbing of the directory admin API: body reading, paging, and its error factories. */

/** Every admin route is audited by the platform once it names the record it changed (`auditChange`). */
export const ADMIN = { activity: 'directory:admin', audit: { action: 'directory.admin' } } as const;

/** Runs a pure body reader, turning its field errors into 400 MISSING_VALUE / INVALID_VALUE naming the field. */
export function readBody<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw asFieldRefusal(err);
  }
}

/** Runs a store write, turning a field it refuses (a parent that would close a cycle) into the same 400. */
export async function writeRecord<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw asFieldRefusal(err);
  }
}

function asFieldRefusal(err: unknown): unknown {
  if (!(err instanceof InvalidFieldError)) return err;
  const spec = err.problem === 'missing' ? PLATFORM_ERRORS.MISSING_VALUE : PLATFORM_ERRORS.INVALID_VALUE;
  return new SpineError(spec, err.message, err.field ? { expression: [err.field] } : {});
}

export const invalid = (field: string, diagnostics: string) =>
  new SpineError(PLATFORM_ERRORS.INVALID_VALUE, diagnostics, { expression: [field] });

export const notFound = (what: string) => new SpineError(DIRECTORY_ADMIN_ERRORS.NO_SUCH_RECORD, `${what} is not in the directory`);

export const duplicate = (what: string) => new SpineError(DIRECTORY_ADMIN_ERRORS.DUPLICATE, `${what} is already in the directory`);

export interface Page { limit: number; offset: number }

/** `limit` (default 100) and `offset` (default 0) of a list request, within the bounds its query schema sets. */
export const pageFrom = (query: { limit?: number; offset?: number }): Page => ({ limit: query.limit ?? 100, offset: query.offset ?? 0 });

/** Identifiers are accepted in any case (the schemas say so) and kept upper-cased. */
export const upperCased = <T extends string | undefined>(value: T): T => (value === undefined ? value : value.toUpperCase()) as T;

/** PostgreSQL unique_violation: a concurrent create won the race for the same key. */
export const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505';

/**
 * Every admin change is audited (who changed which directory record), though no patient is involved:
 * a re-pointed mailbox or endpoint would redirect clinical messages. Never records passwords. The
 * platform writes the entry before the answer goes (the routes' `config.audit`).
 */
export function auditChange(request: FastifyRequest, action: string, resource: string, created: boolean) {
  request.audited = { action: `directory.${action}.${created ? 'create' : 'update'}`, resource, nhsNumbers: [] };
}
