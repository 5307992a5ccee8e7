import { eventOf, latestEvent, messageState, type MessageEvent, type MessageState } from '../message.js';
import type { StoredMessage } from '../store/messages.js';
import type { ApiVersion } from '../protocol/api-version.js';
import { INBOX_EXPIRY_MS } from '../protocol/limits.js';
import { meshTimestamp } from '../protocol/message-id.js';

/**
 * A state as MESH names it: v2 in lower case (`accepted`, `acknowledged`, as the spec's examples),
 * v1 capitalised. An expired message is MESH's `undeliverable` (its report is DTS 14 "Undelivered
 * message"); `expired` is only our event's name, never a MESH status.
 */
const V2_STATUS: Record<MessageState, string> = {
  uploading: 'uploading', accepted: 'accepted', acknowledged: 'acknowledged', expired: 'undeliverable', undeliverable: 'undeliverable', error: 'error',
};
export const V1_STATUS = Object.fromEntries(Object.entries(V2_STATUS).map(([state, name]) => [state, name[0]!.toUpperCase() + name.slice(1)])) as Record<MessageState, string>;

function statusOf(events: readonly MessageEvent[]) {
  const state = messageState(events);
  const last = latestEvent(events);
  const failed = state === 'expired' || state === 'undeliverable' || state === 'error';
  return {
    state,
    success: !failed,
    event: last?.event ?? (failed ? 'SEND' : 'TRANSFER'),
    code: last?.code ?? (failed ? '14' : '00'),
    description: last?.description ?? (failed ? 'Undelivered message' : 'Transferred to recipient mailbox'),
    at: last?.at,
  };
}

/** When the message leaves (or left) the inbox uncollected. */
export function expiryOf(events: readonly MessageEvent[], createdAt: Date): Date {
  return new Date((eventOf(events, 'accepted')?.at ?? createdAt).getTime() + INBOX_EXPIRY_MS);
}

/** The names of the sender's and recipient's organisations, as the directory knows them. */
export interface PartyOrgNames {
  sender?: string;
  recipient?: string;
}

/**
 * `GET /{mailbox}/outbox/tracking?messageID=`: v2 snake_case, v1 camelCase. v2 times are ISO 8601
 * date-times in UTC, as the spec's schema says (`format: date-time`, "iso timestamp") and the MESH
 * sandbox's TrackingV2 serialises them, although the spec's example shows two of them as MESH
 * timestamps; v1 times are MESH timestamps (`yyyyMMddHHmmss`), as its example and the sandbox.
 */
export function trackingView(version: ApiVersion, stored: StoredMessage, fileSize: number, orgNames: PartyOrgNames = {}): Record<string, unknown> {
  const { message, events } = stored;
  const status = statusOf(events);
  const uploaded = message.createdAt;
  const expiry = expiryOf(events, message.createdAt);
  const acknowledged = eventOf(events, 'acknowledged');
  if (version === 2) {
    const view: Record<string, unknown> = {
      message_id: message.messageId,
      local_id: message.localId,
      workflow_id: message.workflowId,
      filename: message.fileName,
      expiry_time: expiry.toISOString(),
      upload_timestamp: uploaded.toISOString(),
      recipient: message.recipient.mailboxId,
      recipient_name: message.recipient.mailboxName,
      recipient_ods_code: message.recipient.odsCode,
      recipient_org_code: message.recipient.orgCode,
      recipient_org_name: orgNames.recipient,
      status_success: status.success,
      status: V2_STATUS[status.state],
      status_event: status.event,
      status_timestamp: status.at?.toISOString(),
      status_description: status.description,
      status_code: status.code,
    };
    return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
  }
  const view: Record<string, unknown> = {
    addressType: 'ALL',
    checksum: message.checksum,
    chunkCount: message.totalChunks,
    compressFlag: message.compressed ? 'Y' : undefined,
    contentEncoding: message.contentEncoding,
    downloadTimestamp: acknowledged ? meshTimestamp(acknowledged.at) : undefined,
    dtsId: message.messageId,
    encryptedFlag: message.encrypted ? 'Y' : undefined,
    expiryTime: meshTimestamp(expiry),
    fileName: message.fileName,
    fileSize,
    isCompressed: message.compressed ? 'Y' : undefined,
    linkedMsgId: message.linkedMessageId,
    localId: message.localId,
    meshRecipientOdsCode: message.recipient.odsCode,
    messageId: message.messageId,
    messageType: message.messageType,
    partnerId: message.partnerId,
    recipient: message.recipient.mailboxId,
    recipientName: message.recipient.mailboxName,
    // The billing entities are in the spec's v1 example, not its schema.
    recipientBillingEntity: message.recipient.billingEntity,
    recipientOrgCode: message.recipient.orgCode,
    recipientOrgName: orgNames.recipient,
    sender: message.sender.mailboxId,
    senderBillingEntity: message.sender.billingEntity,
    senderName: message.sender.mailboxName,
    senderOdsCode: message.sender.odsCode,
    senderOrgCode: message.sender.orgCode,
    senderOrgName: orgNames.sender,
    status: V1_STATUS[status.state],
    statusCode: status.code,
    statusDescription: status.description,
    statusEvent: status.event,
    statusSuccess: status.success ? 'SUCCESS' : 'ERROR',
    statusTimestamp: status.at ? meshTimestamp(status.at) : undefined,
    subject: message.subject,
    uploadTimestamp: meshTimestamp(uploaded),
    version: '1.0',
    workflowId: message.workflowId,
  };
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
}

/** One message in the rich inbox/outbox listings (v2; MESH sandbox's rich message shape). */
export function richMessageView(stored: StoredMessage): Record<string, unknown> {
  const { message, events } = stored;
  const status = statusOf(events);
  const accepted = eventOf(events, 'accepted');
  return {
    message_id: message.messageId,
    expiry_timestamp: expiryOf(events, message.createdAt).toISOString(),
    local_id: message.localId ?? null,
    message_type: message.messageType,
    recipient: message.recipient.mailboxId,
    recipient_name: message.recipient.mailboxName,
    sender: message.sender.mailboxId,
    sender_name: message.sender.mailboxName,
    sent_date: accepted?.at.toISOString() ?? null,
    status: V2_STATUS[status.state],
    status_code: status.success ? null : status.code,
    workflow_id: message.workflowId,
    total_chunks: message.totalChunks,
  };
}

export function richListView(validAt: Date, messages: StoredMessage[], links: Record<string, string>): Record<string, unknown> {
  return { valid_at: validAt.toISOString(), messages: messages.map(richMessageView), links };
}
