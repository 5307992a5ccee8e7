/** MESH service limits, from the spec's narrative (info.description: "Outbox workflow", "Message expiration"). */

/** "The maximum amount of data allowed by MESH in a single request message is 100MB." */
export const MAX_CHUNK_BYTES = 100 * 1024 * 1024;

/**
 * The most one gzip chunk may inflate to. The spec bounds what is sent (100MB a request, compressed)
 * and not what it inflates to; gzip inflates up to about 1,000-fold, so one 100MB request could make
 * the upload's check (and every download to a client without gzip) inflate some 100 GB. OpenSpine's
 * choice: 1 GiB, ten times a request, beyond any ratio real data reaches at the chunk sizes MESH
 * clients use (they split the uncompressed data so that each compressed chunk is under 100MB).
 */
export const MAX_INFLATED_CHUNK_BYTES = 1024 * 1024 * 1024;

/**
 * The most chunks one message may be sent in. The spec names no count: it sizes chunks in tens of
 * MB ("split the uncompressed data ... such that each chunk is smaller than 100MB", a message at
 * most 100GB; MESH clients split at about 20MB, some 5,000 chunks for the largest message).
 * OpenSpine's choice: 100,000, the largest message in 1MB chunks. A total past it (`1:9999999`) is no
 * message a client splitting data as the spec describes could send, and would sit uploading until
 * it expired; it is refused as any bad chunk value is (417 InvalidHeaderChunks).
 */
export const MAX_CHUNKS = 100_000;

/** Not downloaded and acknowledged within five days: leaves the inbox, the sender gets a REPORT. */
export const INBOX_EXPIRY_MS = 5 * 24 * 60 * 60 * 1000;
export const INBOX_EXPIRY_DAYS = 5;

/** "Uncollected messages are completely deleted from the MESH server 30 days after the initial delivery." */
export const PURGE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

/** "the API rejects the request if the timestamp supplied is not within 2 hours of the server time" */
export const AUTH_CLOCK_WINDOW_MS = 2 * 60 * 60 * 1000;

/** "A maximum of 500 message identifier are returned in every request" (v1, and the v2 default). */
export const INBOX_PAGE_DEFAULT = 500;
export const INBOX_PAGE_MIN = 10;
export const INBOX_PAGE_MAX = 5000;
/** Rich inbox/outbox pages (v2 only). */
export const RICH_PAGE_MAX = 100;

/** Bodies are stored in rows of this size, so no process holds a whole chunk in memory. */
export const SEGMENT_BYTES = 1024 * 1024;
