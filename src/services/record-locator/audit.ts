import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../platform/audit/entry.js';
import type { AuditNote } from '../../platform/audit/route-audit.js';
import type { NrlCaller } from './caller.js';

/** The record locator's audit vocabulary: every read and search, and every change, by whom. */
export type PointerAction =
  | 'pointer.read' | 'pointer.search' | 'pointer.count'
  | 'pointer.create' | 'pointer.supersede' | 'pointer.update' | 'pointer.delete'
  | 'pointer.access-denied';

export interface PointerAudit {
  /** The entry's action when it is not the route's (a supersede, a refused caller). */
  action?: PointerAction;
  resource?: string;
  nhsNumbers: string[];
  /** Unset: the platform's ('success' below 400, else 'failure' with the error's code). */
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** A client's search value as the audit trail keeps it: text, at most 200 characters. */
export const auditValue = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);

/** A route's config with the action the platform audits its requests as (route-audit.ts). */
export const auditedAs = <C extends FastifyContextConfig>(config: C, action: PointerAction) => ({ ...config, audit: { action } });

/**
 * Says what an NRL request touched, for the entry the platform records before the answer goes out
 * (audit by construction: the routes declare `config.audit`). The actor is the NRL caller, not only
 * the token's principal: in gateway mode there is no token, and in either mode the organisation is
 * the one the caller acts for (`ODS[.extension]`), as NRL keys its permissions.
 */
export function notePointerAccess(request: FastifyRequest, caller: NrlCaller, entry: PointerAudit) {
  request.audited = pointerAccessNote(request, caller, entry);
}

/** What `notePointerAccess` notes, for a write that stages its entry itself (stageRouteAudit). */
export function pointerAccessNote(request: FastifyRequest, caller: NrlCaller, entry: PointerAudit): AuditNote {
  const principal = caller.principal;
  return {
    action: entry.action,
    resource: entry.resource,
    nhsNumbers: entry.nhsNumbers,
    outcome: entry.outcome,
    actor: {
      appId: caller.appId, appName: caller.appName, odsCode: caller.organisation,
      userId: principal?.userId, roleProfileId: principal?.roleProfileId, roleCode: principal?.roleCode,
    },
    detail: { api: request.url.startsWith('/record-locator/producer') ? 'producer' : 'consumer', ...entry.detail },
  };
}
