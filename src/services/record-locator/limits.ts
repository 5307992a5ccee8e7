/**
 * How much a pointer may hold: OpenSpine's own limits, not the spec's (its schemas give
 * `attachment.url` only the pattern `\S*`, and no size to anything). NRL is an index of where
 * records are, not a store of them: a consumer's search returns up to 20 pointers a page, so what
 * one pointer may hold, twenty times over, is what every search for that patient costs. With only
 * the platform's 5 MB body limit, a producer stored 20 pointers of 4.5 MB each for one patient;
 * each search of them then returned 90 MB in 1.4–2.2 s, and 5 at once took the server to about
 * 2 GB RSS and held /_ping for 1.4 s (found by probing).
 */

/**
 * A DocumentReference body (create, upsert, update; the sandbox API's too) is at most 64 KiB. The
 * largest real pointers are the spec's test pointers: 2,624 bytes as the files have them (indented),
 * 1,789 as compact JSON; the synthetic population's are smaller. 64 KiB is 25 times the largest as
 * sent indented and leaves room for several content items, a long description and SSP urls; a
 * page of 20 such pointers is 1.3 MB at most.
 */
export const MAX_POINTER_BYTES = 64 * 1024;

/**
 * `content[].attachment.url` is at most 8,000 characters: RFC 9110 §4.1 recommends that senders
 * and recipients support URIs of at least 8,000 octets, so a longer url may not be one a consumer
 * (or the SSP proxy it is wrapped in) can fetch. The spec's test urls are about 100 characters.
 */
export const MAX_ATTACHMENT_URL_LENGTH = 8000;

/**
 * A `POST …/DocumentReference/_search` body is at most 16 KiB: it holds the same few search
 * parameters a `GET` sends in its query (a subject, a type, a custodian, a category, a page token
 * of under 100 characters), and a query can be no longer than the 16 KB header section Node
 * allows. It kept the platform's 5 MB body limit, 300 times anything a search can mean.
 */
export const MAX_SEARCH_BODY_BYTES = 16 * 1024;
