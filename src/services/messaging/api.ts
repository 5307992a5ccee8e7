import type { Db, Queryable } from '../../platform/db/pool.js';
import type { PlatformContext } from '../../platform/service.js';
import { directoryApi, type DirectoryApi, type MeshMailbox } from '../directory/api.js';
import { inflateChunk } from './handlers/inflate.js';
import { partyOf } from './handlers/send.js';
import { messageState, type Message, type MessageEvent, type MessageState, type Party } from './message.js';
import { INBOX_EXPIRY_MS, MAX_CHUNK_BYTES, MAX_INFLATED_CHUNK_BYTES } from './protocol/limits.js';
import { newMessageId } from './protocol/message-id.js';
import { findChunk, recordChunk } from './store/chunks.js';
import { acknowledgeForService, listWaiting } from './store/inbox.js';
import { findMessage, findMessages } from './store/messages.js';
import { inboxDepths, reportsAbout, searchMessages, type InboxDepth, type MessageSearch } from './store/tracking-search.js';
import { pgBodyStore } from './store/pg-body-store.js';
import { insertNewMessage } from './store/send.js';

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

export type { Message, MessageEvent, MessageState } from './message.js';
export type { MessageSearch, InboxDepth } from './store/tracking-search.js';
export { messageState } from './message.js';

/** A message with its state and events, for tracking (the console). Metadata only: never a body. */
export interface TrackedMessage {
  message: Message;
  state: MessageState;
  events: MessageEvent[];
}

export interface MessagingApi {
  postMessage(tx: Queryable, message: SystemMessage, at: Date): Promise<PostOutcome>;
  /** Tracking (the console): messages matching a search, newest first. */
  findMessages(search: MessageSearch): Promise<TrackedMessage[]>;
  /** A message with its events and the REPORTs sent about it; undefined when unknown. */
  messageHistory(messageId: string): Promise<{ tracked: TrackedMessage; reports: TrackedMessage[] } | undefined>;
  inboxDepths(now: Date): Promise<InboxDepth[]>;
}

/**
 * A mailbox MESH delivers to: registered and in service (`mailboxInService`, the rule every MESH
 * call applies), so the Spine's own services do not deliver where a mailbox could not (417 DTS 12)
 * nor its owner collect.
 */
async function receivingMailbox(directory: DirectoryApi, mailboxId: string): Promise<MeshMailbox | undefined> {
  const mailbox = await directory.mailboxInService(mailboxId);
  return mailbox?.active ? mailbox : undefined;
}

const tracked = (stored: { message: Message; events: MessageEvent[] }): TrackedMessage => ({ ...stored, state: messageState(stored.events) });

export function messagingApi(db: Db): MessagingApi {
  const bodies = pgBodyStore(db);
  return {
    findMessages: async (search) => (await searchMessages(db, search)).map(tracked),
    async messageHistory(messageId) {
      const stored = await findMessage(db, messageId);
      if (!stored) return undefined;
      return { tracked: tracked(stored), reports: (await reportsAbout(db, messageId)).map(tracked) };
    },
    inboxDepths: (now) => inboxDepths(db, now),
    async postMessage(tx, m, at) {
      if (m.body.length > MAX_CHUNK_BYTES) return { status: 'too-large' };
      const recipient = await receivingMailbox(directoryApi(tx), m.recipient);
      if (!recipient) return { status: 'unknown-recipient' };
      const sender: Party = { ...m.sender, orgCode: m.sender.odsCode };
      const messageId = newMessageId(at);
      const message: Message = {
        messageId, messageType: 'DATA', sender, recipient: partyOf(recipient), workflowId: m.workflowId, totalChunks: 1,
        contentEncoding: '', contentType: m.contentType, subject: m.subject, localId: m.localId, partnerId: m.partnerId,
        fileName: `${messageId}.dat`, encrypted: false, compressed: false, createdAt: at,
      };
      const stored = await bodies.writeChunk(tx, { messageId, chunkNo: 1 }, (async function* () { yield m.body; })(), MAX_CHUNK_BYTES, { fresh: true });
      await insertNewMessage(tx, message, { chunkNo: 1, byteSize: stored.bytes, segments: stored.segments, contentEncoding: '', sha1: stored.sha1 },
        { expiresAt: new Date(at.getTime() + INBOX_EXPIRY_MS) });
      return { status: 'accepted', messageId };
    },
  };
}

/**
 * MESH for other services that own a mailbox (the opt-out check's, NEMS delivery): read its inbox,
 * stream a message's body, acknowledge it, and send a message whose body streams into the store.
 * No NHSMESH header: the caller is the Spine itself, acting as the mailbox it names. Bodies never
 * sit whole in memory: they are read and written one segment at a time.
 */
export interface MeshMessageInfo {
  messageId: string;
  sender: string;
  recipient: string;
  workflowId: string;
  subject?: string;
  localId?: string;
  fileName?: string;
  totalChunks: number;
}

export interface MeshSend {
  from: string;
  to: string;
  workflowId: string;
  subject?: string;
  localId?: string;
  fileName?: string;
  contentType?: string;
  body: AsyncIterable<Buffer | string> | Buffer | string;
}

export class MeshSendRefused extends Error {}

export interface MeshApi {
  /** Messages waiting in `mailboxId`'s inbox (optionally of one workflow), oldest first. */
  waiting(mailboxId: string, options?: { workflowId?: string; limit?: number }): Promise<MeshMessageInfo[]>;
  /**
   * Every chunk of a message's body in order, decompressed when it was sent gzip-encoded; a chunk
   * that inflates past 1 GiB (`MAX_INFLATED_CHUNK_BYTES`, as uploads are held to) ends it with `ChunkInflatesTooLarge`.
   */
  body(messageId: string): AsyncIterable<Buffer>;
  /** Takes a message out of its recipient's inbox; false when it was no longer there. */
  acknowledge(mailboxId: string, messageId: string): Promise<boolean>;
  /**
   * Sends a DATA message. The body streams into the store in one transaction, split into chunks of
   * MESH's largest size, and the message is delivered when it commits; if the body's iterator
   * throws, nothing is sent and the error is rethrown.
   */
  send(message: MeshSend): Promise<{ messageId: string; bytes: number }>;
}

const infoOf = (m: Message): MeshMessageInfo => ({
  messageId: m.messageId, sender: m.sender.mailboxId, recipient: m.recipient.mailboxId, workflowId: m.workflowId,
  subject: m.subject, localId: m.localId, fileName: m.fileName, totalChunks: m.totalChunks,
});

async function* asBuffers(body: MeshSend['body']): AsyncIterable<Buffer> {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    yield Buffer.from(body);
    return;
  }
  for await (const piece of body) yield typeof piece === 'string' ? Buffer.from(piece) : piece;
}

/** Cuts a stream into successive chunk streams of at most `size` bytes, each pulled only when the previous ends. */
function chunked(body: AsyncIterable<Buffer>, size: number) {
  const iterator = body[Symbol.asyncIterator]();
  let carry: Buffer | undefined;
  let done = false;
  return {
    get done() { return done && !carry; },
    async* next(): AsyncIterable<Buffer> {
      let taken = 0;
      while (taken < size) {
        let piece = carry;
        carry = undefined;
        if (!piece) {
          const step = await iterator.next();
          if (step.done) { done = true; return; }
          piece = step.value;
        }
        if (taken + piece.length > size) {
          carry = piece.subarray(size - taken);
          piece = piece.subarray(0, size - taken);
        }
        taken += piece.length;
        yield piece;
      }
      // Full: look ahead once, so an exact multiple of `size` does not leave an empty last chunk.
      if (!carry) {
        const step = await iterator.next();
        if (step.done) done = true;
        else carry = step.value;
      }
    },
  };
}

export function meshApi(ctx: PlatformContext, chunkBytes = MAX_CHUNK_BYTES, maxInflated = MAX_INFLATED_CHUNK_BYTES): MeshApi {
  const bodies = pgBodyStore(ctx.db);
  const directory = directoryApi(ctx.db);
  const mailbox = async (id: string): Promise<MeshMailbox> => {
    const found = await receivingMailbox(directory, id);
    if (!found) throw new MeshSendRefused(`MESH mailbox ${id} is not registered or not active`);
    return found;
  };

  return {
    async waiting(mailboxId, options = {}) {
      const ids = await listWaiting(ctx.db, mailboxId.toUpperCase(), options.workflowId, options.limit ?? 100, ctx.clock.now());
      const found = new Map((await findMessages(ctx.db, ids)).map((s) => [s.message.messageId, s.message]));
      return ids.flatMap((id) => (found.has(id) ? [infoOf(found.get(id)!)] : []));
    },

    async* body(messageId) {
      const [stored] = await findMessages(ctx.db, [messageId]);
      if (!stored) return;
      for (let chunkNo = 1; chunkNo <= stored.message.totalChunks; chunkNo++) {
        const chunk = await findChunk(ctx.db, messageId, chunkNo);
        if (!chunk) throw new Error(`MESH message ${messageId} has no chunk ${chunkNo}`);
        const raw = bodies.readChunk({ messageId, chunkNo }, chunk.segments);
        yield* (chunk.contentEncoding === 'gzip' ? inflateChunk(raw, maxInflated) : raw) as AsyncIterable<Buffer>;
      }
    },

    acknowledge: (mailboxId, messageId) => acknowledgeForService(ctx.db, messageId, mailboxId.toUpperCase(), ctx.clock.now()),

    async send(request) {
      const [sender, recipient] = [await mailbox(request.from), await mailbox(request.to)];
      const now = ctx.clock.now();
      const messageId = newMessageId(now);
      return ctx.db.tx(async (tx) => {
        // Bytes first (body rows have no foreign key), so the chunk count is known when the message is written.
        const pieces = chunked(asBuffers(request.body), chunkBytes);
        const chunks: Array<{ chunkNo: number; byteSize: number; segments: number; sha1: string }> = [];
        do {
          const chunkNo = chunks.length + 1;
          const stored = await bodies.writeChunk(tx, { messageId, chunkNo }, pieces.next(), chunkBytes, { fresh: true });
          if (stored.bytes > 0 || chunkNo === 1) chunks.push({ chunkNo, byteSize: stored.bytes, segments: stored.segments, sha1: stored.sha1 });
        } while (!pieces.done);
        const message: Message = {
          messageId, messageType: 'DATA', sender: partyOf(sender), recipient: partyOf(recipient), workflowId: request.workflowId,
          totalChunks: chunks.length, contentEncoding: '', contentType: request.contentType, subject: request.subject, localId: request.localId,
          fileName: request.fileName ?? `${messageId}.dat`, encrypted: false, compressed: false, createdAt: now,
        };
        await insertNewMessage(tx, message, { ...chunks[0]!, contentEncoding: '' }, { expiresAt: new Date(now.getTime() + INBOX_EXPIRY_MS) });
        for (const chunk of chunks.slice(1)) await recordChunk(tx, messageId, { ...chunk, contentEncoding: '' }, now);
        return { messageId, bytes: chunks.reduce((sum, c) => sum + c.byteSize, 0) };
      });
    },
  };
}
export { ChunkInflatesTooLarge } from './handlers/inflate.js';
