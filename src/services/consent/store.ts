import { isUuid } from '../../platform/uuids.js';
import type { Queryable } from '../../platform/db/pool.js';
import type { OptOut } from './domain/consent-profile.js';

/** The consent service's only SQL. */

export interface ConsentRow {
  nhsNumber: string;
  id: string;
  versionNo: number;
  versionId: string;
  resource: Record<string, unknown>;
}

export interface VersionRow extends ConsentRow {
  status: string;
  effectiveFrom: Date;
  source: string;
  setBy: Record<string, unknown>;
  recordedAt: Date;
}

/** Who set a version: the caller as the audit trail records it. */
export type SetBy = Record<string, string | undefined>;

const consentOf = (r: { nhs_number: string; id: string; version_no: number; version_id: string; resource: Record<string, unknown> }): ConsentRow =>
  ({ nhsNumber: r.nhs_number, id: r.id, versionNo: r.version_no, versionId: r.version_id, resource: r.resource });

/**
 * Ids (and version ids) are UUIDs the server assigns, in lower case: anything else names no Consent
 * (and must not reach a uuid column). FHIR ids are case-sensitive, while PostgreSQL's uuid type
 * reads either case as one value, so the same UUID in upper case is no id of ours either.
 */
export const isConsentId = (id: string) => isUuid(id) && id === id.toLowerCase();

export async function findConsentsOfPatient(db: Queryable, nhsNumber: string, id?: string): Promise<ConsentRow[]> {
  if (id !== undefined && !isConsentId(id)) return [];
  const { rows } = await db.query(
    `SELECT nhs_number, id, version_no, version_id, resource FROM consent.consents
      WHERE nhs_number = $1 AND ($2::uuid IS NULL OR id = $2::uuid) ORDER BY last_updated, id`,
    [nhsNumber, id ?? null]);
  return rows.map(consentOf);
}

export async function findConsentById(db: Queryable, id: string, forUpdate = false): Promise<ConsentRow | undefined> {
  if (!isConsentId(id)) return undefined;
  const { rows } = await db.query(
    `SELECT nhs_number, id, version_no, version_id, resource FROM consent.consents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? consentOf(rows[0]) : undefined;
}

export interface NewVersion {
  id: string;
  versionNo: number;
  versionId: string;
  optOut: OptOut;
  resource: Record<string, unknown>;
  lastUpdated: Date;
  setBy: SetBy;
}

/** A version's columns, `$1`–`$10` in the order of `consent.versions`' insert. */
const versionValues = (v: NewVersion) =>
  [v.optOut.nhsNumber, v.id, v.versionNo, v.versionId, v.optOut.status, v.optOut.effectiveFrom, v.optOut.source, JSON.stringify(v.setBy), JSON.stringify(v.resource), v.lastUpdated];

async function appendVersion(db: Queryable, v: NewVersion): Promise<void> {
  await db.query(
    `INSERT INTO consent.versions (nhs_number, id, version_no, version_id, status, effective_from, source, set_by, resource, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    versionValues(v));
}

/**
 * Inserts a new Consent and its first version, in one statement so that neither is kept without the
 * other (opt-out checks read the versions: a Consent without one would be an opt-out never in
 * force, and a retry of its create a duplicate); false when one already exists for the patient,
 * policy and purpose. Both rows are the one patient's (`nhs_number = $1`: one shard under Citus).
 */
export async function insertConsent(db: Queryable, v: NewVersion): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH created AS (
       INSERT INTO consent.consents (nhs_number, id, policy_uri, purpose, version_no, version_id, status, effective_from, resource, last_updated)
       VALUES ($1, $2, $11, $12, $3, $4, $5, $6, $9, $10)
       ON CONFLICT (nhs_number, policy_uri, purpose) DO NOTHING RETURNING nhs_number)
     INSERT INTO consent.versions (nhs_number, id, version_no, version_id, status, effective_from, source, set_by, resource, recorded_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM created WHERE created.nhs_number = $1`,
    [...versionValues(v), v.optOut.policyUri, v.optOut.purpose]);
  return rowCount === 1;
}

/** Replaces the current version of a Consent locked by `findConsentById(…, true)` and keeps the new one in history. */
export async function replaceConsent(db: Queryable, v: NewVersion): Promise<void> {
  await db.query(
    `UPDATE consent.consents SET version_no = $3, version_id = $4, status = $5, effective_from = $6, resource = $7, last_updated = $8
      WHERE nhs_number = $1 AND id = $2`,
    [v.optOut.nhsNumber, v.id, v.versionNo, v.versionId, v.optOut.status, v.optOut.effectiveFrom, JSON.stringify(v.resource), v.lastUpdated]);
  await appendVersion(db, v);
}

const versionOf = (r: Record<string, any>): VersionRow => ({
  ...consentOf(r as never), status: r.status, effectiveFrom: r.effective_from, source: r.source, setBy: r.set_by, recordedAt: r.recorded_at,
});

/** Every version of every Consent of a patient, newest first; or the one with `versionId`. */
export async function findVersionsOfPatient(db: Queryable, nhsNumber: string, versionId?: string): Promise<VersionRow[]> {
  if (versionId !== undefined && !isConsentId(versionId)) return [];
  const { rows } = await db.query(
    `SELECT * FROM consent.versions WHERE nhs_number = $1 AND ($2::uuid IS NULL OR version_id = $2::uuid)
      ORDER BY recorded_at DESC, version_no DESC`,
    [nhsNumber, versionId ?? null]);
  return rows.map(versionOf);
}

export async function findVersion(db: Queryable, id: string, versionId: string): Promise<VersionRow | undefined> {
  if (!isConsentId(id) || !isConsentId(versionId)) return undefined;
  const { rows } = await db.query('SELECT * FROM consent.versions WHERE id = $1 AND version_id = $2', [id, versionId]);
  return rows[0] ? versionOf(rows[0]) : undefined;
}

/**
 * Which of `nhsNumbers` are opted out at `at`: for each of their Consents, the newest version in
 * effect by then (its `dateTime` at or before `at`) is `active`. One indexed query per batch.
 */
export async function optedOutAmong(db: Queryable, nhsNumbers: readonly string[], at: Date): Promise<Set<string>> {
  if (nhsNumbers.length === 0) return new Set();
  const { rows } = await db.query<{ nhs_number: string }>({
    name: 'consent-opted-out-among',
    text: `SELECT DISTINCT nhs_number FROM (
             SELECT DISTINCT ON (nhs_number, id) nhs_number, status FROM consent.versions
              WHERE nhs_number = ANY($1::text[]) AND effective_from <= $2
              ORDER BY nhs_number, id, effective_from DESC, version_no DESC
           ) effective WHERE status = 'active'`,
    values: [nhsNumbers, at],
  });
  return new Set(rows.map((r) => r.nhs_number));
}

/** A MESH bulk check this worker may work on now. */
export interface ClaimedCheck {
  messageId: string;
  announced: boolean;
}

/**
 * Records a bulk-check request (once per MESH message) and claims it for `leaseMs`: one worker at a
 * time, and another may take it over if that one dies (its lease runs out). Undefined: done, or
 * another worker holds it.
 */
export async function claimBulkCheck(db: Queryable, check: { messageId: string; mailboxId: string; sender: string; localId?: string; subject?: string },
  now: Date, leaseMs: number): Promise<ClaimedCheck | undefined> {
  await db.query(
    `INSERT INTO consent.bulk_checks (message_id, mailbox_id, sender, local_id, subject, state, created_at)
     VALUES ($1, $2, $3, $4, $5, 'received', $6) ON CONFLICT (message_id) DO NOTHING`,
    [check.messageId, check.mailboxId, check.sender, check.localId ?? null, check.subject ?? null, now]);
  const { rows } = await db.query<{ announced: boolean }>(
    `UPDATE consent.bulk_checks SET claimed_until = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
      WHERE message_id = $1 AND state = 'received' AND (claimed_until IS NULL OR claimed_until < $2) RETURNING announced`,
    [check.messageId, now, leaseMs]);
  return rows[0] ? { messageId: check.messageId, announced: rows[0].announced } : undefined;
}

export async function markBulkCheckAnnounced(db: Queryable, messageId: string): Promise<void> {
  await db.query('UPDATE consent.bulk_checks SET announced = true WHERE message_id = $1', [messageId]);
}

export async function finishBulkCheck(db: Queryable, messageId: string, result: { numbersIn: number; numbersOut: number; outcome: string }, now: Date): Promise<void> {
  await db.query(
    `UPDATE consent.bulk_checks SET state = 'done', claimed_until = NULL, numbers_in = $2, numbers_out = $3, outcome = $4, done_at = $5 WHERE message_id = $1`,
    [messageId, result.numbersIn, result.numbersOut, result.outcome, now]);
}

/** Whether a request was already answered (its acknowledgement may have been lost). */
export async function isBulkCheckDone(db: Queryable, messageId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM consent.bulk_checks WHERE message_id = $1 AND state = 'done'`, [messageId]);
  return rows.length > 0;
}
