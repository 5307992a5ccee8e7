import type { MeshMailbox } from '../../directory/api.js';
import { eventOf, failureEvent, messageState } from '../message.js';
import type { StoredMessage } from '../store/messages.js';
import { expiryOf, V1_STATUS } from './tracking.js';

const withoutEmpty = (view: Record<string, unknown>) => Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined && v !== null));
const titleCase = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();

/** `GET /admin/mailbox/{id}` (MESH sandbox `MailboxDetails`); never the password. */
export function mailboxDetailsView(mailbox: MeshMailbox, orgName: string): Record<string, unknown> {
  return withoutEmpty({
    mailbox_id: mailbox.mailboxId,
    mailbox_name: mailbox.mailboxName,
    billing_entity: mailbox.billingEntity,
    ods_code: mailbox.odsCode,
    org_code: mailbox.orgCode,
    org_name: orgName,
    active: mailbox.active,
  });
}

/**
 * `GET /admin/message/{id}` (MESH sandbox `MessageDetails`): a DATA message's failure shows as
 * `failure_date`/`failure_diagnostic`, a REPORT's status as the `status_*` fields; ISO date-times.
 */
export function messageDetailsView(stored: StoredMessage, fileSize: number, inboxExpiresAt?: Date): Record<string, unknown> {
  const { message, events } = stored;
  const isReport = message.messageType === 'REPORT';
  const failure = failureEvent(events);
  const acknowledged = eventOf(events, 'acknowledged');
  return withoutEmpty({
    checksum: message.checksum ?? '',
    chunk_count: message.totalChunks,
    content_encoding: message.contentEncoding,
    download_timestamp: acknowledged?.at.toISOString(),
    expiry_time: (inboxExpiresAt ?? expiryOf(events, message.createdAt)).toISOString(),
    failure_date: !isReport ? failure?.at.toISOString() : undefined,
    failure_diagnostic: !isReport ? failure?.description : undefined,
    filename: message.fileName ?? `${message.messageId}.dat`,
    file_size: fileSize,
    is_compressed: message.compressed,
    is_encrypted: message.encrypted,
    linked_msg_id: message.linkedMessageId ?? failure?.linkedMessageId,
    local_id: message.localId,
    message_id: message.messageId,
    message_type: titleCase(message.messageType),
    recipient: message.recipient.mailboxId,
    recipient_name: message.recipient.mailboxName,
    recipient_ods_code: message.recipient.odsCode,
    recipient_org_code: message.recipient.orgCode,
    sender: message.sender.mailboxId,
    sender_name: message.sender.mailboxName,
    sender_ods_code: message.sender.odsCode,
    sender_org_code: message.sender.orgCode,
    // An expired message is the sandbox's `Undeliverable`, as in v1 tracking.
    status: V1_STATUS[messageState(events)],
    status_code: isReport ? message.statusCode : undefined,
    status_description: isReport ? message.statusDescription : undefined,
    status_event: isReport ? message.statusEvent : undefined,
    status_success: !isReport && !failure ? 'SUCCESS' : 'ERROR',
    status_timestamp: isReport ? (eventOf(events, 'accepted')?.at ?? message.createdAt).toISOString() : undefined,
    subject: message.subject,
    upload_timestamp: message.createdAt.toISOString(),
    workflow_id: message.workflowId,
  });
}
