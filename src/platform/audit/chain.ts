import { createHash } from 'node:crypto';
import type { AuditEntry, AuditOutcome } from './entry.js';

/**
 * The audit trail is a hash chain: every record's hash covers its own content and the previous
 * record's hash, so altering, removing or reordering any record breaks every link after it.
 * This file is pure (no SQL): the writer uses it to build the chain, `verify` to check it.
 */

/** The `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** An entry as stored: every optional field made explicit, strings made storable, time fixed. */
export interface AuditRecord {
  seq: number;
  /** ISO 8601 with milliseconds, UTC: exactly what timestamptz stores and gives back. */
  recordedAt: string;
  requestId: string;
  action: string;
  resource: string | null;
  nhsNumbers: string[];
  outcome: AuditOutcome;
  appId: string | null;
  appName: string | null;
  userId: string | null;
  roleProfileId: string | null;
  roleCode: string | null;
  odsCode: string | null;
  clientAddress: string | null;
  detail: Record<string, unknown> | null;
}

export interface ChainedRecord extends AuditRecord {
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];

// PostgreSQL text and jsonb cannot hold NUL, and jsonb refuses unpaired surrogates. One bad string
// must not fail a whole group-commit batch, so such characters become U+FFFD before hashing.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Nearly every string has neither NUL nor any surrogate: one plain scan says so, without the lookarounds.
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;
const storable = (text: string) => (MAYBE_UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '\uFFFD') : text);
// In JSON text (JSON.stringify escapes NUL and lone surrogates; pairs stay as they are): a NUL or
// surrogate escape, or a surrogate itself. A text without any needs no repair of its strings or keys.
const MAYBE_UNSTORABLE_JSON = /\\u(?:0000|[dD][89a-fA-F])|[\uD800-\uDFFF]/;
const optional = (text: string | undefined) => (text === undefined || text === null ? null : storable(String(text)));

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  // fromEntries defines own properties, so a '__proto__' key is kept as data, not taken as a prototype.
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storable(key), storableJson(inner)]));
  }
  return value;
}

/**
 * Turns a caller's entry into the record that is hashed, stored and read back identically.
 * Throws (for that caller alone) on an entry that cannot be stored, e.g. a detail with a BigInt.
 */
export function toAuditRecord(entry: AuditEntry, recordedAt: Date): Omit<AuditRecord, 'seq'> {
  if (!AUDIT_OUTCOMES.includes(entry.outcome)) throw new TypeError(`audit outcome must be one of ${AUDIT_OUTCOMES.join(', ')}, not '${entry.outcome}'`);
  if (!entry.action) throw new TypeError('an audit entry needs an action');
  // JSON semantics first (toJSON, dropped undefined), so jsonb gives back exactly this value.
  let detail: Record<string, unknown> | null = null;
  if (entry.detail !== undefined && entry.detail !== null) {
    const text = JSON.stringify(entry.detail);
    detail = JSON.parse(text) as Record<string, unknown>;
    if (MAYBE_UNSTORABLE_JSON.test(text)) detail = storableJson(detail) as Record<string, unknown>;
  }
  return {
    recordedAt: recordedAt.toISOString(),
    requestId: storable(String(entry.requestId ?? '')),
    action: storable(entry.action),
    resource: optional(entry.resource),
    nhsNumbers: (entry.nhsNumbers ?? []).map((n) => storable(String(n))),
    outcome: entry.outcome,
    appId: optional(entry.appId),
    appName: optional(entry.appName),
    userId: optional(entry.userId),
    roleProfileId: optional(entry.roleProfileId),
    roleCode: optional(entry.roleCode),
    odsCode: optional(entry.odsCode),
    clientAddress: optional(entry.clientAddress),
    detail,
  };
}

/** Whether every object in a JSON value already has its keys in the order `sortedKeys` gives them. */
function keysInOrder(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysInOrder);
  if (value !== null && typeof value === 'object') {
    let previous: string | undefined;
    for (const key in value) {
      if (previous !== undefined && !(previous < key)) return false;
      previous = key;
      if (!keysInOrder((value as Record<string, unknown>)[key])) return false;
    }
  }
  return true;
}

/** A JSON value with object keys sorted at every depth: jsonb reorders keys, the hash must not care. */
function sortedKeys(value: unknown): unknown {
  // Already in order (as the writers' details mostly are): the same JSON text without rebuilding it.
  if (keysInOrder(value)) return value;
  return rebuildSorted(value);
}

function rebuildSorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebuildSorted);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, inner]) => [key, rebuildSorted(inner)]));
  }
  return value;
}

/** The stable serialisation that is hashed: the fields in a fixed order, as one JSON array. */
export function canonicalRecord(record: AuditRecord): string {
  return JSON.stringify([
    record.seq, record.recordedAt, record.requestId, record.action, record.resource, record.nhsNumbers,
    record.outcome, record.appId, record.appName, record.userId, record.roleProfileId, record.roleCode,
    record.odsCode, record.clientAddress, sortedKeys(record.detail),
  ]);
}

/** sha256(prev_hash || canonical(record)), hex. */
export function chainHash(prevHash: string, record: AuditRecord): string {
  return createHash('sha256').update(prevHash).update(canonicalRecord(record)).digest('hex');
}

/** Numbers and links a batch of records onto the chain after `head`. */
export function appendToChain(head: ChainHead, records: Array<Omit<AuditRecord, 'seq'>>): ChainedRecord[] {
  let { seq, hash } = head;
  // Every field written out: spreading the record into a new object with more properties after it
  // is V8's slow path, and this runs once per audit record (measured about twice as dear).
  return records.map((c) => {
    const chained: ChainedRecord = {
      seq: seq + 1, recordedAt: c.recordedAt, requestId: c.requestId, action: c.action, resource: c.resource, nhsNumbers: c.nhsNumbers,
      outcome: c.outcome, appId: c.appId, appName: c.appName, userId: c.userId, roleProfileId: c.roleProfileId, roleCode: c.roleCode,
      odsCode: c.odsCode, clientAddress: c.clientAddress, detail: c.detail, prevHash: hash, hash: '',
    };
    chained.hash = chainHash(hash, chained);
    seq = chained.seq;
    hash = chained.hash;
    return chained;
  });
}

/** The first record that breaks the chain, and what is wrong with it. */
export interface ChainBreak {
  seq: number;
  /** Unknown when the record itself is missing. */
  requestId?: string;
  problem: string;
}

/**
 * Checks records fed one at a time in seq order, keeping only the last link in memory, so a chain of
 * any length is verified in bounded memory. Seq numbers are gapless (the writer numbers them from
 * the chain head), so a deleted record shows as a missing seq.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  checked: number;

  /** From the genesis, or on from a head already verified (`records` checked up to it). */
  constructor(from?: { head: ChainHead; records: number }) {
    this.expectedSeq = (from?.head.seq ?? 0) + 1;
    this.prevHash = from?.head.hash ?? GENESIS_HASH;
    this.checked = from?.records ?? 0;
  }

  /** Returns the break, if this record is where the chain breaks. */
  check(record: ChainedRecord): ChainBreak | undefined {
    const expected = this.expectedSeq;
    if (record.seq !== expected) {
      return record.seq > expected
        ? { seq: expected, problem: `record seq ${expected} is missing (the next record is seq ${record.seq})` }
        : { seq: expected, requestId: record.requestId, problem: `found seq ${record.seq} where seq ${expected} was expected` };
    }
    if (record.prevHash !== this.prevHash) {
      const previous = expected === 1 ? 'the genesis hash' : `the hash of seq ${expected - 1}`;
      return { seq: expected, requestId: record.requestId, problem: `prev_hash does not match ${previous}` };
    }
    if (chainHash(record.prevHash, record) !== record.hash) {
      return { seq: expected, requestId: record.requestId, problem: 'content does not match its hash (altered after it was written)' };
    }
    this.expectedSeq = expected + 1;
    this.prevHash = record.hash;
    this.checked += 1;
    return undefined;
  }

  /** After the last record: the chain head must point at it, or records are missing at the end. */
  finish(head: ChainHead): ChainBreak | undefined {
    const last = this.expectedSeq - 1;
    if (head.seq > last) {
      return { seq: last + 1, problem: `records seq ${last + 1} to ${head.seq} are missing (the chain head is at seq ${head.seq})` };
    }
    if (head.seq < last) {
      return { seq: head.seq + 1, problem: `records after seq ${head.seq} are beyond the chain head (not written by the audit writer)` };
    }
    if (head.hash !== this.prevHash) {
      return { seq: last, problem: `the chain head hash does not match the hash of seq ${last}` };
    }
    return undefined;
  }
}
