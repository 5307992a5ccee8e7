import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../platform/audit/entry.js';
import type { PlatformContext } from '../../platform/service.js';

/** How the console appears in the audit trail: as an application, acting for the signed-in person. */
export const CONSOLE_APP = { appId: 'openspine-console', appName: 'OpenSpine console' } as const;

export interface ConsoleAction {
  action: string;
  resource?: string;
  nhsNumbers?: string[];
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** Every console action is audited, durably, before its answer is sent. */
export async function auditConsole(ctx: PlatformContext, request: FastifyRequest, action: ConsoleAction): Promise<void> {
  const person = request.consoleSession?.person;
  request.auditRecorded = true;
  await ctx.audit.record({
    requestId: String(request.id),
    ...CONSOLE_APP,
    userId: person?.sub,
    roleProfileId: person?.roleProfileId,
    roleCode: person ? person.roleCode ?? person.role : undefined,
    odsCode: person?.odsCode,
    clientAddress: request.ip,
    action: action.action,
    resource: action.resource,
    nhsNumbers: action.nhsNumbers ?? [],
    outcome: action.outcome ?? 'success',
    detail: action.detail,
  });
}
