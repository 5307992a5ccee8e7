import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../platform/audit/entry.js';
import type { PlatformContext } from '../../platform/service.js';
import type { NrlCaller } from './caller.js';

/** The record locator's audit vocabulary: every read and search, and every change, by whom. */
export type PointerAction =
  | 'pointer.read' | 'pointer.search' | 'pointer.count'
  | 'pointer.create' | 'pointer.supersede' | 'pointer.update' | 'pointer.delete'
  | 'pointer.access-denied';

export interface PointerAudit {
  action: PointerAction;
  resource?: string;
  nhsNumbers: string[];
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** A client's search value as the audit trail keeps it: text, at most 200 characters. */
export const auditValue = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);

/** Awaited before the response: the answer leaves only once its audit record is durable. */
export async function auditPointerAccess(ctx: PlatformContext, request: FastifyRequest, caller: NrlCaller, entry: PointerAudit) {
  const principal = caller.principal;
  await ctx.audit.record({
    requestId: String(request.id),
    action: entry.action,
    resource: entry.resource,
    nhsNumbers: entry.nhsNumbers,
    outcome: entry.outcome ?? 'success',
    appId: caller.appId,
    appName: caller.appName,
    userId: principal?.userId,
    roleProfileId: principal?.roleProfileId,
    roleCode: principal?.roleCode,
    odsCode: caller.organisation,
    clientAddress: request.ip,
    detail: { api: request.url.startsWith('/record-locator/producer') ? 'producer' : 'consumer', ...entry.detail },
  });
}
