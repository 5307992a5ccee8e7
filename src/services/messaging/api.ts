import type { Queryable } from '../../platform/db/pool.js';
import { messageState, type Message, type MessageEvent, type MessageState } from './message.js';
import { findMessage } from './store/messages.js';
import { inboxDepths, reportsAbout, searchMessages, type InboxDepth, type MessageSearch } from './store/tracking-search.js';

/**
 * MESH's contract with other services (the console's message tracking): find messages, read a
 * message's history, and see how full each inbox is. Metadata only: never a message body.
 */
export type { Message, MessageEvent, MessageState } from './message.js';
export type { MessageSearch, InboxDepth } from './store/tracking-search.js';
export { messageState } from './message.js';

export interface TrackedMessage {
  message: Message;
  state: MessageState;
  events: MessageEvent[];
}

export interface MessagingApi {
  findMessages(search: MessageSearch): Promise<TrackedMessage[]>;
  /** A message with its events and the REPORTs sent about it; undefined when unknown. */
  messageHistory(messageId: string): Promise<{ tracked: TrackedMessage; reports: TrackedMessage[] } | undefined>;
  inboxDepths(now: Date): Promise<InboxDepth[]>;
}

const tracked = (stored: { message: Message; events: MessageEvent[] }): TrackedMessage => ({ ...stored, state: messageState(stored.events) });

export function messagingApi(db: Queryable): MessagingApi {
  return {
    findMessages: async (search) => (await searchMessages(db, search)).map(tracked),
    async messageHistory(messageId) {
      const stored = await findMessage(db, messageId);
      if (!stored) return undefined;
      return { tracked: tracked(stored), reports: (await reportsAbout(db, messageId)).map(tracked) };
    },
    inboxDepths: (now) => inboxDepths(db, now),
  };
}
