/**
 * `continue_from` cursors: an opaque base64url token over the mailbox and the last position served.
 * Inbox positions are the immutable accept sequence, so two processes paging one mailbox agree
 * on the order and a message never shows in two pages.
 */
export interface Cursor {
  mailbox: string;
  /** The accept sequence (inbox) or the creation time in ms (outbox) of the last item served. */
  after: number;
  /** Tie-breaker when `after` is not unique (outbox: the last message id). */
  id?: string;
}

/** The latest moment a Date can hold (ECMAScript: 8.64e15 ms): an outbox position past it names no time. */
const LATEST_TIME_MS = 8_640_000_000_000_000;
/** A message id as the Spine gives them: printable ASCII, at most 100 characters (PostgreSQL text takes no NUL). */
const MESSAGE_ID = /^[\x20-\x7e]{1,100}$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ mailbox: cursor.mailbox, after: cursor.after, ...(cursor.id ? { id: cursor.id } : {}) })).toString('base64url');
}

export function decodeCursor(token: string): Cursor | undefined {
  if (token.length < 24 || token.length > 1000 || !/^[A-Za-z0-9_-]+=*$/.test(token)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { mailbox, after, id } = value as Record<string, unknown>;
    // Only what the Spine could have written: a forged position or id must be refused here, not fail its query (a 500).
    if (typeof mailbox !== 'string' || typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0 || after > LATEST_TIME_MS) return undefined;
    if (id !== undefined && (typeof id !== 'string' || !MESSAGE_ID.test(id))) return undefined;
    return id === undefined ? { mailbox, after } : { mailbox, after, id };
  } catch {
    return undefined;
  }
}
