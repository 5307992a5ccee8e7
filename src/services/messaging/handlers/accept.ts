import type { Queryable } from '../../../platform/db/pool.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import type { Message } from '../message.js';
import { INBOX_EXPIRY_MS } from '../protocol/limits.js';
import { appendEvent } from '../store/messages.js';
import { deliver } from '../store/inbox.js';

/**
 * uploading → accepted: the accepted event, the inbox entry and the outbox event commit together
 * in the caller's transaction, so an accepted message is delivered exactly once or not at all.
 */
export async function acceptMessage(tx: Queryable, message: Message, at: Date): Promise<boolean> {
  const delivered = await deliver(tx, {
    messageId: message.messageId,
    recipient: message.recipient.mailboxId,
    workflowId: message.workflowId,
    acceptedAt: at,
    expiresAt: new Date(at.getTime() + INBOX_EXPIRY_MS),
  });
  if (!delivered) return false;
  await appendEvent(tx, message.messageId, { status: 'accepted', at });
  await announceAccepted(tx, message);
  return true;
}

/** The outbox event of an acceptance (NEMS-style subscribers hear of MESH deliveries). */
export async function announceAccepted(tx: Queryable, message: Message): Promise<void> {
  await enqueueEvent(tx, {
    type: 'mesh-message-accepted',
    source: 'messaging',
    payload: {
      messageId: message.messageId,
      messageType: message.messageType,
      sender: message.sender.mailboxId,
      recipient: message.recipient.mailboxId,
      workflowId: message.workflowId,
    },
  });
}
