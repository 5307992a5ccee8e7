import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../../../platform/audit/entry.js';
import type { AuditNote } from '../../../platform/audit/route-audit.js';
import type { MeshMailbox } from '../../directory/api.js';

/** The audit vocabulary of MESH: who (mailbox) did what to which message; never a body. */
export type MeshAuditAction = 'message.send' | 'message.send-chunk' | 'message.download' | 'message.acknowledge' | 'message.track';

/**
 * Says what a MESH request did, for its audit entry: the platform writes it before the answer
 * goes (every authenticated MESH route declares `config.audit`, mesh-plugin.ts), as the mailbox.
 */
export function auditMessage(request: FastifyRequest, entry: MessageAudit): void {
  request.audited = messageAuditNote(entry);
}

export interface MessageAudit {
  action: MeshAuditAction; mailbox: MeshMailbox; messageId: string; outcome?: AuditOutcome; detail?: Record<string, unknown>;
}

/** What `auditMessage` notes, for a write that stages its entry itself (stageRouteAudit). */
export function messageAuditNote(entry: MessageAudit): AuditNote {
  return {
    action: entry.action,
    resource: `MeshMessage/${entry.messageId}`,
    // MESH carries opaque payloads: the Spine never reads them, so no patient is named here.
    nhsNumbers: [],
    outcome: entry.outcome,
    actor: { appId: entry.mailbox.mailboxId, appName: entry.mailbox.mailboxName, odsCode: entry.mailbox.odsCode },
    detail: { mailbox: entry.mailbox.mailboxId, messageId: entry.messageId, ...entry.detail },
  };
}
