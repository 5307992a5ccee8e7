import { directoryApi } from '../../directory/api.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { messageState, type EventStatus, type Message } from '../message.js';
import { newMessageId } from '../protocol/message-id.js';
import { messageSizes } from '../store/chunks.js';
import { findInboxEntry, removeFromInbox } from '../store/inbox.js';
import { appendEvent, deleteAllMessages, findMessage, insertMessage } from '../store/messages.js';
import { mailboxDetailsView, messageDetailsView } from '../views/admin.js';
import { acceptMessage } from './accept.js';
import type { MeshDeps } from './deps.js';
import { CENTRAL_SYSTEM_MAILBOX, UNDELIVERED } from './expiry.js';
import { partyOf } from './send.js';

/**
 * The MESH sandbox's testing routes (sandbox mode only): reset mailboxes, add a status event to a
 * message, read a mailbox's or a message's details, and put a REPORT into an inbox.
 */

async function knownMailbox(deps: MeshDeps, mailboxId: string) {
  const mailbox = await directoryApi(deps.ctx.db).getMailbox(mailboxId);
  if (!mailbox) throw meshError(MESH_ERRORS.MAILBOX_DOES_NOT_EXIST, { diagnostics: `mailbox ${mailboxId} does not exist` });
  return mailbox;
}

/** Every message (of one mailbox, as sender or recipient, when given) and its body. */
export async function resetMailboxes(deps: MeshDeps, mailboxId?: string): Promise<void> {
  if (mailboxId) await knownMailbox(deps, mailboxId);
  await deps.ctx.db.tx(async (tx) => {
    if (!mailboxId) {
      await deleteAllMessages(tx);
      await deps.bodies.deleteAll(tx);
      return;
    }
    const ids = await deleteAllMessages(tx, mailboxId);
    await deps.bodies.deleteMessages(tx, ids);
  });
}

/** The statuses the MESH sandbox knows (its `MessageStatus`). */
export const ADMIN_EVENT_STATUSES = ['uploading', 'accepted', 'acknowledged', 'undeliverable', 'error'] as const satisfies readonly EventStatus[];

export interface AdminEvent {
  status: (typeof ADMIN_EVENT_STATUSES)[number];
  code?: string;
  event?: string;
  description?: string;
  linked_message_id?: string;
}

/**
 * Appends a status event and keeps the inbox in step with it: `accepted` delivers a message still
 * uploading (once), and `acknowledged`, `undeliverable` or `error` take it out of the inbox.
 */
export async function addMessageEvent(deps: MeshDeps, messageId: string, input: AdminEvent): Promise<void> {
  const now = deps.ctx.clock.now();
  await deps.ctx.db.tx(async (tx) => {
    const stored = await findMessage(tx, messageId, { lock: true });
    if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
    if (input.status === 'accepted' && messageState(stored.events) === 'uploading' && (await acceptMessage(tx, stored.message, now))) return;
    if (input.status === 'acknowledged' || input.status === 'undeliverable' || input.status === 'error') await removeFromInbox(tx, messageId);
    await appendEvent(tx, messageId, {
      status: input.status, at: now, code: input.code, event: input.event, description: input.description, linkedMessageId: input.linked_message_id,
    });
  });
}

export async function mailboxDetails(deps: MeshDeps, mailboxId: string): Promise<Record<string, unknown>> {
  const mailbox = await knownMailbox(deps, mailboxId);
  const organisation = await directoryApi(deps.ctx.db).getOrganisation(mailbox.orgCode);
  return mailboxDetailsView(mailbox, organisation?.name ?? '');
}

export async function messageDetails(deps: MeshDeps, messageId: string): Promise<Record<string, unknown>> {
  const stored = await findMessage(deps.ctx.db, messageId);
  if (!stored) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  const [sizes, inbox] = await Promise.all([messageSizes(deps.ctx.db, [messageId]), findInboxEntry(deps.ctx.db, messageId)]);
  return messageDetailsView(stored, sizes.get(messageId) ?? 0, inbox?.expiresAt);
}

export interface ReportRequest {
  mailbox_id: string;
  code: string;
  description: string;
  workflow_id: string;
  subject?: string;
  local_id?: string;
  status?: 'undeliverable' | 'error';
  file_name?: string;
  linked_message_id?: string;
}

/**
 * A REPORT from the central system mailbox, delivered to `mailbox_id` at once. `undeliverable`
 * (the default) is a non-delivery report as the expiry sweep sends (DTS 14, subject "NDR: …");
 * `error` carries the given code and description at the TRANSFER step.
 */
export async function createReport(deps: MeshDeps, input: ReportRequest): Promise<Message> {
  const recipient = await knownMailbox(deps, input.mailbox_id.toUpperCase());
  const now = deps.ctx.clock.now();
  const undeliverable = (input.status ?? 'undeliverable') === 'undeliverable';
  const report: Message = {
    messageId: newMessageId(now),
    messageType: 'REPORT',
    sender: CENTRAL_SYSTEM_MAILBOX,
    recipient: partyOf(recipient),
    workflowId: input.workflow_id,
    totalChunks: 1,
    contentEncoding: '',
    subject: undeliverable ? (input.subject ? `NDR: ${input.subject}` : 'NDR') : input.subject,
    localId: input.local_id,
    fileName: undeliverable ? undefined : input.file_name,
    encrypted: false,
    compressed: false,
    linkedMessageId: input.linked_message_id,
    statusCode: undeliverable ? UNDELIVERED.code : input.code,
    statusEvent: undeliverable ? UNDELIVERED.event : 'TRANSFER',
    statusDescription: undeliverable ? UNDELIVERED.description : input.description,
    createdAt: now,
  };
  await deps.ctx.db.tx(async (tx) => {
    await insertMessage(tx, report);
    await acceptMessage(tx, report, now);
  });
  return report;
}
