/**
 * Database faults: which errors mean "the database is unreachable, restarting, overloaded or too
 * slow" (the Spine answers 503 and the client retries) rather than a fault of the request.
 */

/** Thrown without touching the network while the database is known to be down (see `Availability`). */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'the database is unavailable') {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Seconds a client is asked to wait before retrying a request refused for a database fault. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

// Socket errors of a connection that could not be made or was lost.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

// SQLSTATEs (PostgreSQL appendix A) that say nothing about the request: class 08 connection
// exception, 53 insufficient resources (too many connections, disk full, out of memory), 57P01-3
// shutdown / crash / still starting up, 57014 a statement cancelled by statement_timeout, 55P03 a
// lock not granted within lock_timeout.
const SQLSTATE_PREFIXES = ['08', '53', '57P0'];
const SQLSTATES = new Set(['57014', '55P03']);

// node-postgres and pg-pool report lost or timed-out connections by message only.
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) return true;
  }
  if (typeof message === 'string' && PG_MESSAGES.some((m) => message.includes(m))) return true;
  // AggregateError from a connect to a name with several addresses (localhost: ::1 and 127.0.0.1).
  const errors = (err as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailable);
}

/**
 * A circuit breaker over one database. After a fault, calls fail at once (no connection attempt,
 * no waiting on a frozen server) except one trial every `retryMs`; the first success closes it.
 * So while the database is down or frozen, requests get their 503 in microseconds instead of
 * each waiting out a timeout, and the Spine finds the database again by itself.
 */
export class Availability {
  private downSince: number | undefined;
  private nextTrialAt = 0;
  private reason = '';
  private lastSuccessAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
    private readonly retryMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  get isUp(): boolean {
    return this.downSince === undefined;
  }

  /** Whether a call may try the database now: always when up, once per `retryMs` when down. */
  admit(): boolean {
    if (this.downSince === undefined) return true;
    const now = this.now();
    if (now < this.nextTrialAt) return false;
    this.nextTrialAt = now + this.retryMs;
    return true;
  }

  /** When a call begins, for `failed(err, startedAt)`. */
  startOf(): number {
    return this.now();
  }

  /**
   * A call failed. `startedAt` (from `startOf`) says when it began: if the database answered
   * another call since then, this failure is the call's own (a connection that took too long to
   * open on a busy host, a server at its connection limit) and the others go on; a lost connection
   * (no `startedAt`) always counts.
   */
  failed(err: unknown, startedAt?: number): void {
    if (!isDatabaseUnavailable(err) || err instanceof DatabaseUnavailableError) return;
    // One slow statement or contended lock says nothing about the database as a whole.
    const code = (err as { code?: unknown }).code;
    if (code === '57014' || code === '55P03') return;
    if (this.downSince === undefined && startedAt !== undefined && this.lastSuccessAt >= startedAt) return;
    const now = this.now();
    this.nextTrialAt = now + this.retryMs;
    if (this.downSince !== undefined) return;
    this.downSince = now;
    // The driver's message can name host and port: it goes to the operator's log, never to clients.
    this.reason = (err as Error).message;
    this.log.warn({ reason: this.reason }, 'database unavailable: answering 503 until it is back');
  }

  succeeded(): void {
    const now = this.now();
    this.lastSuccessAt = now;
    if (this.downSince === undefined) return;
    const downMs = now - this.downSince;
    this.downSince = undefined;
    this.log.info({ downMs, reason: this.reason }, 'database reachable again: recovered');
  }
}
