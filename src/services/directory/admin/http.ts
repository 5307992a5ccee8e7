import type { FastifyRequest } from 'fastify';
import { auditContext } from '../../../platform/audit/entry.js';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import { DIRECTORY_ADMIN_ERRORS } from '../errors.js';
import { InvalidFieldError } from '../fields.js';

/** Shared plumbing of the directory admin API: body reading, paging, and its error factories. */

export const ADMIN = { activity: 'directory:admin' } as const;

/** Runs a pure body reader, turning its field errors into 400 MISSING_VALUE / INVALID_VALUE naming the field. */
export function readBody<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof InvalidFieldError) {
      const spec = err.problem === 'missing' ? PLATFORM_ERRORS.MISSING_VALUE : PLATFORM_ERRORS.INVALID_VALUE;
      throw new SpineError(spec, err.message, err.field ? { expression: [err.field] } : {});
    }
    throw err;
  }
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
 * a re-pointed mailbox or endpoint would redirect clinical messages. Never records passwords.
 */
export function auditChange(ctx: PlatformContext, request: FastifyRequest, action: string, resource: string, created: boolean) {
  return ctx.audit.record({
    ...auditContext(request), action: `directory.${action}.${created ? 'create' : 'update'}`, resource, nhsNumbers: [], outcome: 'success',
  });
}
