import type { ApiVersion } from '../protocol/api-version.js';

export interface InboxListing {
  messageIds: string[];
  selfLink: string;
  nextLink?: string;
  approxCount: number;
}

/** v1 `{messages}`; v2 adds `links` (`next` only when more follow) and `approx_inbox_count`. */
export function inboxView(version: ApiVersion, listing: InboxListing): Record<string, unknown> {
  if (version === 1) return { messages: listing.messageIds };
  return {
    messages: listing.messageIds,
    links: { self: listing.selfLink, ...(listing.nextLink ? { next: listing.nextLink } : {}) },
    approx_inbox_count: listing.approxCount,
  };
}

/** The deprecated `/count`: v1 `{count, internalID, allResultsIncluded}`, v2 `{count}`. */
export function inboxCountView(version: ApiVersion, count: number, internalId: string): Record<string, unknown> {
  return version === 2 ? { count } : { count, internalID: internalId, allResultsIncluded: true };
}

/** A link under /messageexchange with its query string, as the spec's examples show. */
export function meshLink(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return `/messageexchange${path}${text ? `?${text}` : ''}`;
}
