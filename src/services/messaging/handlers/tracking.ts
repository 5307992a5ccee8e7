import { directoryApi } from '../../directory/api.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import type { ApiVersion } from '../protocol/api-version.js';
import { decodeCursor, encodeCursor } from '../protocol/cursor.js';
import { PURGE_AFTER_MS, RICH_PAGE_MAX } from '../protocol/limits.js';
import { parseStartTime } from '../protocol/query.js';
import { findMessage, findSentByLocalId, listSent } from '../store/messages.js';
import { messageSizes } from '../store/chunks.js';
import { trackingView, richListView } from '../views/tracking.js';
import { meshLink } from '../views/inbox.js';
import type { MeshDeps } from './deps.js';

/** An organisation's name from the directory (its `api.ts`), by the org code a mailbox carries. */
async function orgName(deps: MeshDeps, orgCode: string | undefined): Promise<string | undefined> {
  return orgCode ? (await directoryApi(deps.ctx.db).getOrganisation(orgCode))?.name : undefined;
}

/**
 * Tracking is for the sender: another mailbox learns nothing about the message. The spec's example
 * names both parties' organisations; the names are read apart from the message, which keeps only
 * their codes (tracking is not polled: "You must not poll this endpoint frequently").
 */
export async function trackMessage(deps: MeshDeps, mailboxId: string, messageId: string, version: ApiVersion): Promise<Record<string, unknown>> {
  const stored = await findMessage(deps.ctx.db, messageId);
  if (!stored || stored.message.sender.mailboxId !== mailboxId) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { messageId });
  const { sender, recipient } = stored.message;
  const [sizes, senderOrg, recipientOrg] = await Promise.all([
    messageSizes(deps.ctx.db, [messageId]), orgName(deps, sender.orgCode), orgName(deps, recipient.orgCode),
  ]);
  return trackingView(version, stored, sizes.get(messageId) ?? 0, { sender: senderOrg, recipient: recipientOrg });
}

/**
 * The deprecated `GET /{mailbox}/outbox/tracking/{local_id}`: the one message this mailbox sent
 * with that local id, in the v1 tracking shape (the only one the spec gives it); 404 when there is
 * none, 300 when the local id is not unique.
 */
export async function trackByLocalId(deps: MeshDeps, mailboxId: string, localId: string): Promise<{ messageId: string; view: Record<string, unknown> }> {
  const ids = await findSentByLocalId(deps.ctx.db, mailboxId, localId, 2);
  if (ids.length === 0) throw meshError(MESH_ERRORS.MESSAGE_DOES_NOT_EXIST, { diagnostics: 'No message sent from this mailbox has that local id' });
  if (ids.length > 1) throw meshError(MESH_ERRORS.LOCAL_ID_NOT_UNIQUE);
  const messageId = ids[0]!;
  return { messageId, view: await trackMessage(deps, mailboxId, messageId, 1) };
}

/** As the route schema (`RichQuerySchema`) leaves it. */
export interface RichQuery {
  start_time?: string;
  continue_from?: string;
  max_results?: number;
}

export function richPaging(deps: MeshDeps, mailboxId: string, query: RichQuery) {
  const limit = query.max_results ?? RICH_PAGE_MAX;
  const now = deps.ctx.clock.now();
  const since = query.start_time ? parseStartTime(query.start_time) : new Date(now.getTime() - PURGE_AFTER_MS);
  // The schema checked its shape; the calendar is checked here (2020-13-45).
  if (!since) throw meshError(MESH_ERRORS.INVALID_PARAMETER, { fields: ['start_time'], location: 'query', diagnostics: 'start_time must be an ISO 8601 date-time' });
  const cursor = query.continue_from ? decodeCursor(query.continue_from) : undefined;
  if (query.continue_from && (!cursor || cursor.mailbox !== mailboxId)) {
    throw meshError(MESH_ERRORS.INVALID_PARAMETER, { fields: ['continue_from'], location: 'query', diagnostics: 'continue_from is not a cursor this mailbox was given' });
  }
  return { limit, since, cursor, now };
}

/** `GET /{mailbox}/outbox/rich`: messages this mailbox sent, oldest first, at most 100 a page. */
export async function richOutbox(deps: MeshDeps, mailboxId: string, query: RichQuery): Promise<Record<string, unknown>> {
  const { limit, since, cursor, now } = richPaging(deps, mailboxId, query);
  const page = await listSent(deps.ctx.db, mailboxId, since, cursor ? { at: new Date(cursor.after), id: cursor.id ?? '' } : undefined, limit + 1);
  const shown = page.slice(0, limit);
  const last = shown[shown.length - 1];
  const base = { start_time: since.toISOString(), max_results: limit };
  const links: Record<string, string> = { self: meshLink(`/${mailboxId}/outbox/rich`, base) };
  if (page.length > limit && last) {
    links.next = meshLink(`/${mailboxId}/outbox/rich`, { ...base, continue_from: encodeCursor({ mailbox: mailboxId, after: last.message.createdAt.getTime(), id: last.message.messageId }) });
  }
  return richListView(now, shown, links);
}
