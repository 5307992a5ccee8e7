import type { PlatformContext } from '../../../platform/service.js';
import type { NrlCaller } from '../caller.js';
import { NRL_DIAGNOSTICS, NRL_ERRORS, nrlError, NrlIssuesError } from '../errors.js';
import { producerIdOf, type DocumentReference } from '../domain/document-reference.js';
import {
  encodePageToken, parseSearchParams, searchQuery, typeSystemAllowed, type SearchSide, type SearchSource,
} from '../domain/search-params.js';
import { countPointers, readPointer, searchPointers } from '../store.js';

/** Reads and searches of both APIs. A caller only ever sees pointers of the types it may use. */

/** NRL answers 20 pointers a page (spec: searchDocumentReference). */
export const PAGE_SIZE = 20;

type BundleLink = { relation: 'self' | 'next'; url: string };

/**
 * A searchset Bundle as JSON text, each entry's resource spliced in as stored: a page of pointers is
 * never parsed and serialised again on its way out. When there is a next page its token is also in
 * `meta.tag`, where the spec says it is returned ("This token is returned in the meta.tag field"),
 * as NRLF writes it (`{"code": token, "display": "next_page_token"}`); the `next` link carries the
 * same token for clients that follow FHIR's paging links.
 */
function searchsetJson(total: number, link: BundleLink[], resources: readonly string[], nextPageToken?: string): string {
  const meta = nextPageToken === undefined ? '' : `"meta":{"tag":[${JSON.stringify({ code: nextPageToken, display: 'next_page_token' })}]},`;
  return `{"resourceType":"Bundle",${meta}"type":"searchset","total":${total},"link":${JSON.stringify(link)},"entry":[${
    resources.map((resource) => `{"resource":${resource}}`).join(',')}]}`;
}

export async function readPointerAs(ctx: PlatformContext, caller: NrlCaller, side: SearchSide, id: string): Promise<DocumentReference> {
  if (side === 'producer' && producerIdOf(id) !== caller.organisation) {
    throw nrlError(NRL_ERRORS.AUTHOR_CREDENTIALS_ERROR, NRL_DIAGNOSTICS.readOtherOrganisation);
  }
  const row = await readPointer(ctx.db, id);
  if (!row) throw nrlError(NRL_ERRORS.NO_RECORD_FOUND, NRL_DIAGNOSTICS.notFound);
  if (!caller.pointerTypes.includes(row.type)) throw nrlError(NRL_ERRORS.ACCESS_DENIED, NRL_DIAGNOSTICS.consumerTypeNotAllowed);
  return row.resource;
}

export interface SearchResult {
  /** The searchset Bundle, as JSON text. */
  bundle: string;
  total: number;
  returned: number;
  nhsNumber?: string;
}

/** A type system the caller has no types of, in the words of the search that refuses it (NRLF@03ed227). */
const TYPE_SYSTEM_REFUSED: Record<SearchSource, Record<SearchSide, string>> = {
  query: { consumer: NRL_DIAGNOSTICS.typeSystemNotAllowed, producer: NRL_DIAGNOSTICS.typeSystemNotAllowed },
  body: { consumer: NRL_DIAGNOSTICS.consumerBodyTypeSystemNotAllowed, producer: NRL_DIAGNOSTICS.producerBodyTypeSystemNotAllowed },
};

/**
 * A consumer searches one patient's pointers (any custodian); a producer searches its own.
 * `baseUrl` is the API's public base, for the Bundle's links; `from` says whether the parameters
 * came as a `GET` query or a `POST _search` body.
 */
export async function searchAs(
  ctx: PlatformContext, caller: NrlCaller, side: SearchSide, raw: Record<string, unknown>, baseUrl: string, from: SearchSource,
): Promise<SearchResult> {
  const parsed = parseSearchParams(side, raw, { subjectRequired: side === 'consumer', from });
  if (!parsed.ok) throw new NrlIssuesError([parsed.issue]);
  const search = parsed.search;
  if (!typeSystemAllowed(search.type, caller.pointerTypes)) {
    throw nrlError(NRL_ERRORS.INVALID_CODE_SYSTEM, TYPE_SYSTEM_REFUSED[from][side], 'type');
  }
  const types = search.type === undefined ? caller.pointerTypes : caller.pointerTypes.filter((t) => t === search.type);
  const query = {
    nhsNumber: search.nhsNumber,
    custodian: side === 'producer' ? caller.organisation : undefined,
    custodianOds: side === 'consumer' ? search.custodianOds : undefined,
    types,
    category: search.category,
    afterId: search.afterId,
    limit: PAGE_SIZE + 1,
  };
  // A consumer's search tolerates a little lag: it may be served by the read replica (not after the
  // caller's own write). A producer searches what it has just written: the primary.
  const { total, rows } = types.length === 0 ? { total: 0, rows: [] } : side === 'consumer'
    ? await ctx.db.lagTolerantRead(caller.reader, (db) => searchPointers(db, query))
    : await searchPointers(ctx.db, query);
  const page = rows.slice(0, PAGE_SIZE);
  const url = `${baseUrl}/DocumentReference`;
  // A producer may search with no parameters at all: its self link is then the bare URL, not one ending in `?`.
  const selfQuery = searchQuery({ ...search, afterId: undefined }, side, raw['next-page-token'] as string | undefined);
  const link: BundleLink[] = [{ relation: 'self', url: selfQuery ? `${url}?${selfQuery}` : url }];
  const nextPageToken = rows.length > PAGE_SIZE ? encodePageToken(page[page.length - 1]!.id) : undefined;
  if (nextPageToken !== undefined) link.push({ relation: 'next', url: `${url}?${searchQuery(search, side, nextPageToken)}` });
  return {
    bundle: searchsetJson(total, link, page.map((row) => row.json), nextPageToken),
    total,
    returned: page.length,
    nhsNumber: search.nhsNumber,
  };
}

/** `GET /DocumentReference/_count?subject:identifier=…`: how many pointers of the caller's types a patient has. */
export async function countAs(ctx: PlatformContext, caller: NrlCaller, raw: Record<string, unknown>) {
  // NRLF's count parameters model names only the subject and ignores anything else.
  const subject = 'subject:identifier' in raw ? { 'subject:identifier': raw['subject:identifier'] } : {};
  const parsed = parseSearchParams('consumer', subject, { subjectRequired: true });
  if (!parsed.ok) {
    if (parsed.issue.spec === NRL_ERRORS.INVALID_NHS_NUMBER) {
      throw nrlError(NRL_ERRORS.INVALID_IDENTIFIER_VALUE, NRL_DIAGNOSTICS.countNhsNumber, 'subject:identifier');
    }
    throw new NrlIssuesError([parsed.issue]);
  }
  const nhsNumber = parsed.search.nhsNumber!;
  const total = await ctx.db.lagTolerantRead(caller.reader, (db) => countPointers(db, nhsNumber, caller.pointerTypes));
  return { bundle: { resourceType: 'Bundle' as const, type: 'searchset' as const, total }, nhsNumber };
}
