import type { Queryable } from '../../platform/db/pool.js';
import { directoryApi } from '../directory/api.js';
import { partyOf } from './handlers/send.js';
import type { Message, Party } from './message.js';
import { INBOX_EXPIRY_MS, MAX_CHUNK_BYTES } from './protocol/limits.js';
import { newMessageId } from './protocol/message-id.js';
import { pgBodyStore } from './store/pg-body-store.js';
import { insertNewMessage } from './store/send.js';
import type { Db } from '../../platform/db/pool.js';

/**
 * MESH's contract with other services: a national service (NEMS, MNS) posting a message into a
 * mailbox, as MESH's own senders do but without the HTTP round trip. The message, its body, its
 * inbox entry and its accepted event commit in the caller's transaction, so a caller that marks
 * its own work done in the same transaction posts exactly once.
 */
export interface SystemMessage {
  /** The sending national service, as a MESH party (it need not be a registered mailbox). */
  sender: { mailboxId: string; mailboxName: string; odsCode: string };
  recipient: string;
  workflowId: string;
  body: Buffer;
  contentType?: string;
  localId?: string;
  partnerId?: string;
  subject?: string;
}

export type PostOutcome = { status: 'accepted'; messageId: string } | { status: 'unknown-recipient' | 'too-large' };

export interface MessagingApi {
  postMessage(tx: Queryable, message: SystemMessage, at: Date): Promise<PostOutcome>;
}

export function messagingApi(db: Db): MessagingApi {
  const bodies = pgBodyStore(db);
  return {
    async postMessage(tx, m, at) {
      if (m.body.length > MAX_CHUNK_BYTES) return { status: 'too-large' };
      const recipient = await directoryApi(tx).getMailbox(m.recipient);
      if (!recipient || !recipient.active) return { status: 'unknown-recipient' };
      const sender: Party = { ...m.sender, orgCode: m.sender.odsCode };
      const messageId = newMessageId(at);
      const message: Message = {
        messageId, messageType: 'DATA', sender, recipient: partyOf(recipient), workflowId: m.workflowId, totalChunks: 1,
        contentEncoding: '', contentType: m.contentType, subject: m.subject, localId: m.localId, partnerId: m.partnerId,
        fileName: `${messageId}.dat`, encrypted: false, compressed: false, createdAt: at,
      };
      const stored = await bodies.writeChunk(tx, { messageId, chunkNo: 1 }, (async function* () { yield m.body; })(), MAX_CHUNK_BYTES, { fresh: true });
      await insertNewMessage(tx, message, { chunkNo: 1, byteSize: stored.bytes, segments: stored.segments, contentEncoding: '' },
        { expiresAt: new Date(at.getTime() + INBOX_EXPIRY_MS) });
      return { status: 'accepted', messageId };
    },
  };
}
