/**
 * MNS get-all-subscriptions paging (`continue_from`): an opaque cursor after the last subscription
 * of a page, by (created time, id), base64url. Pure: a cursor that is not one of ours decodes to
 * undefined, and the route answers it as the spec does (400 `The continue_from field was not valid`).
 */
export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A cursor's time as encodeCursor writes it: an instant of years 0001-9999, which PostgreSQL holds. */
const CURSOR_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(after: Cursor): string {
  return Buffer.from(`${after.at.toISOString()}|${after.id}`).toString('base64url');
}

/**
 * The cursor `raw` is, exactly as encodeCursor writes one, or undefined. Any date JavaScript reads
 * was taken before, and went on to PostgreSQL, which holds none before 4713 BC (year -271821: a 500).
 */
export function decodeCursor(raw: string): Cursor | undefined {
  if (raw.length > 200) return undefined;
  const parts = Buffer.from(raw, 'base64url').toString().split('|');
  if (parts.length !== 2) return undefined;
  const [at, id] = parts as [string, string];
  if (!CURSOR_TIME.test(at) || !UUID4.test(id)) return undefined;
  const time = new Date(at);
  if (Number.isNaN(time.getTime()) || time.toISOString() !== at) return undefined;
  // Canonical only: base64url that decodes to a cursor of ours but is not its spelling (trailing bits) is not one.
  return encodeCursor({ at: time, id }) === raw ? { at: time, id } : undefined;
}
