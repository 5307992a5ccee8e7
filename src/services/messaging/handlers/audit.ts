import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../../platform/audit/entry.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { MeshMailbox } from '../../directory/api.js';

/** The audit vocabulary of MESH: who (mailbox) did what to which message; never a body. */
export type MeshAuditAction = 'message.send' | 'message.send-chunk' | 'message.download' | 'message.acknowledge' | 'message.track';

export async function auditMessage(ctx: PlatformContext, request: FastifyRequest, entry: {
  action: MeshAuditAction; mailbox: MeshMailbox; messageId: string; outcome?: AuditOutcome; detail?: Record<string, unknown>;
}): Promise<void> {
  await ctx.audit.record({
    requestId: String(request.id),
    action: entry.action,
    resource: `MeshMessage/${entry.messageId}`,
    // MESH carries opaque payloads: the Spine never reads them, so no patient is named here.
    nhsNumbers: [],
    outcome: entry.outcome ?? 'success',
    appId: entry.mailbox.mailboxId,
    appName: entry.mailbox.mailboxName,
    odsCode: entry.mailbox.odsCode,
    clientAddress: request.ip,
    detail: { mailbox: entry.mailbox.mailboxId, messageId: entry.messageId, ...entry.detail },
  });
}
