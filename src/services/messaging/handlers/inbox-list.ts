import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import type { ApiVersion } from '../protocol/api-version.js';
import { decodeCursor, encodeCursor } from '../protocol/cursor.js';
import { INBOX_PAGE_DEFAULT } from '../protocol/limits.js';
import { normaliseMessageId } from '../protocol/message-id.js';
import { parseWorkflowFilter } from '../protocol/workflow-filter.js';
import { countInbox, findInboxEntry, listInbox, listInboxSince } from '../store/inbox.js';
import { findMessages } from '../store/messages.js';
import { inboxView, meshLink } from '../views/inbox.js';
import { richListView } from '../views/tracking.js';
import type { NonceClaim } from '../store/nonces.js';
import type { MeshDeps } from './deps.js';
import { richPaging, type RichQuery } from './tracking.js';

/** As the route schema (`InboxQuerySchema`) leaves it: each within the spec's bounds. */
export interface InboxQuery {
  max_results?: number;
  continue_from?: string;
  workflow_filter?: string;
}

/**
 * `GET /{mailbox}/inbox`: accepted, unexpired, unacknowledged messages in accept order. v2 pages
 * with `continue_from` (a cursor on the accept sequence); v1 with `continue_from` a message id
 * (`v1ContinueAfter`).
 */
export async function listMailboxInbox(deps: MeshDeps, mailboxId: string, version: ApiVersion, query: InboxQuery, nonce: NonceClaim): Promise<Record<string, unknown>> {
  const limit = query.max_results ?? INBOX_PAGE_DEFAULT;
  const filter = query.workflow_filter !== undefined ? parseWorkflowFilter(query.workflow_filter) : undefined;
  if (query.workflow_filter !== undefined && !filter) throw meshError(MESH_ERRORS.INVALID_PARAMETER, { fields: ['workflow_filter'], location: 'query', diagnostics: 'workflow_filter is not a valid filter' });
  const cursor = version === 2 && query.continue_from ? decodeCursor(query.continue_from) : undefined;
  if (version === 2 && query.continue_from && (!cursor || cursor.mailbox !== mailboxId)) {
    throw meshError(MESH_ERRORS.INVALID_PARAMETER, { fields: ['continue_from'], location: 'query', diagnostics: 'continue_from is not a cursor this mailbox was given' });
  }
  const now = deps.ctx.clock.now();
  const after = version === 2 ? cursor?.after ?? 0 : await v1ContinueAfter(deps, mailboxId, query.continue_from);
  // A read: on the ledger's pool, which waits for no WAL flush of the nonce it claims.
  const page = await listInbox(deps.nonces.readPool, { recipient: mailboxId, after, limit, now, filter }, nonce);
  if (!page) throw meshError(MESH_ERRORS.AUTH_DUPLICATED_TOKEN);
  const ids = page.entries.map((e) => e.messageId);
  if (version === 1) return inboxView(1, { messageIds: ids, selfLink: '', approxCount: 0 });
  const base = { max_results: query.max_results, workflow_filter: query.workflow_filter };
  const last = page.entries[page.entries.length - 1];
  return inboxView(2, {
    messageIds: ids,
    selfLink: meshLink(`/${mailboxId}/inbox`, { ...base, continue_from: query.continue_from }),
    nextLink: page.more && last ? meshLink(`/${mailboxId}/inbox`, { ...base, continue_from: encodeCursor({ mailbox: mailboxId, after: last.acceptSeq }) }) : undefined,
    // A first, unfiltered page with nothing more is the whole inbox: no need to count it again.
    approxCount: !cursor && !filter && !page.more ? ids.length : await countInbox(deps.ctx.db, mailboxId, now),
  });
}

/**
 * A v1 `continue_from` is the last message id of the page before (the spec's v1 example
 * `20220228174323123_ACDED1`; the MESH sandbox pages v1 so): the list goes on after that message.
 * One no longer in this mailbox's inbox (acknowledged since) starts the list again, as the sandbox does.
 */
async function v1ContinueAfter(deps: MeshDeps, mailboxId: string, continueFrom: string | undefined): Promise<number> {
  if (!continueFrom) return 0;
  const entry = await findInboxEntry(deps.ctx.db, normaliseMessageId(continueFrom));
  return entry?.recipient === mailboxId ? entry.acceptSeq : 0;
}

/** `GET /{mailbox}/inbox/rich`: the inbox with metadata, at most 100 a page. */
export async function richInbox(deps: MeshDeps, mailboxId: string, query: RichQuery): Promise<Record<string, unknown>> {
  const { limit, since, cursor, now } = richPaging(deps, mailboxId, query);
  const page = await listInboxSince(deps.ctx.db, mailboxId, since, cursor?.after ?? 0, limit, now);
  const messages = await findMessages(deps.ctx.db, page.entries.map((e) => e.messageId));
  const base = { start_time: since.toISOString(), max_results: limit };
  const links: Record<string, string> = { self: meshLink(`/${mailboxId}/inbox/rich`, base) };
  const last = page.entries[page.entries.length - 1];
  if (page.more && last) links.next = meshLink(`/${mailboxId}/inbox/rich`, { ...base, continue_from: encodeCursor({ mailbox: mailboxId, after: last.acceptSeq }) });
  return richListView(now, messages, links);
}
