/**
 * How much a patient record may hold: OpenSpine's own limits (the spec gives its lists, names,
 * addresses, telecoms and contacts, no length). Every read of a patient returns the whole record and
 * every search a page of them, so what one record may grow to is what every read of it costs: with
 * only the platform's 5 MB body limit, one 3.7 MB PATCH added 32,000 names to a record in 1.3 s.
 * The largest patients of the spec's examples and sandbox data are about 6 kB as compact JSON; the
 * limits leave ten times that.
 */

/** A create, PATCH or Coverage update body: at most 64 KiB (the platform's 413 past it). */
export const MAX_WRITE_BODY_BYTES = 64 * 1024;

/** A patient record as a PATCH leaves it: at most 64 KiB as compact JSON (400 INVALID_UPDATE past it). */
export const MAX_RECORD_BYTES = 64 * 1024;
