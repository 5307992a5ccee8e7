import { createCoalescer } from '../../platform/db/coalesce.js';
import type { Queryable } from '../../platform/db/pool.js';
import type { Statement } from '../../platform/db/write-batch.js';
import type { ItemStatus, Items, PrescriptionState, Status } from './domain/lifecycle.js';
import type { Json } from './domain/fhir.js';

/** The prescriptions service's SQL (the answers kept for retries: replay-store.ts). */
export interface PrescriptionRow {
  nhsNumber: string;
  shortFormId: string;
  longFormId?: string;
  prescriberOds: string;
  author?: string;
  nominatedPharmacy?: string;
  courseOfTherapy?: string;
  state: PrescriptionState;
  itemIds: string[];
  cancelledItems: string[];
  /** The end of its validity: an acute prescription's (validity.ts) or a repeat one's validityPeriod.end; not dispensed by then, it expires. */
  validUntil?: Date;
  createdAt: Date;
  updatedAt: Date;
  /** The row's version as read (its `xmin`): the new state is written only if the row still has it (`stateStatement`), so a change needs no lock. */
  version: string;
}

/** A prescription with its signed order Bundle (tens of kB): read only where the order is answered (release, cancellation). */
export type OrderedPrescription = PrescriptionRow & { orderBundle: Json };

// The hot statements are named (prepared once per connection): in the EPS bench their execution was
// only half of PostgreSQL's CPU per call, and naming them took PostgreSQL's CPU per prescription
// from 13.4 to 11.0 ms (bench/README.md, BENCH_PG_STATEMENTS).
const COLUMNS = `nhs_number, short_form_id, long_form_id, prescriber_ods, author, nominated_pharmacy, course_of_therapy,
  status, dispenser, dispense_notifications, pending_cancellation_by, item_ids, cancelled_items, created_at, updated_at, lifecycle, valid_until`;
const SELECTED = `${COLUMNS}, xmin::text AS version`;
// The order as text (migration 006); a row the previous release wrote has it as jsonb only.
const ORDER_TEXT = 'coalesce(order_text, order_bundle::text) AS order_text';
const WITH_ORDER = `${SELECTED}, ${ORDER_TEXT}`;

/** What `lifecycle` holds: the parts of the state beyond its columns. */
type StoredLifecycle = Pick<PrescriptionState, 'items' | 'itemsBefore' | 'dispenseNotificationIds' | 'messagesSeen' | 'prescribed' | 'dispensedQuantities' | 'dispensedUnmeasured' | 'pendingCancellationItems' | 'claimedAt' | 'claimIdentifier' | 'repeat'>
  /** The dispense notifications recorded, on rows written before claims and Tasks were recorded once too (now `messagesSeen`). */
  & { dispenseNotificationsSeen?: PrescriptionState['messagesSeen'] };

/** A row's items as its status says, for rows the previous release wrote (no `lifecycle`). */
const ITEM_OF_STATUS: Record<Status, ItemStatus> = {
  'to-be-dispensed': 'to-be-dispensed', 'with-dispenser': 'with-dispenser', 'with-dispenser-active': 'partially-dispensed',
  dispensed: 'fully-dispensed', claimed: 'fully-dispensed', 'not-dispensed': 'not-dispensed', cancelled: 'cancelled', expired: 'expired',
};

function lifecycleOf(r: Record<string, any>): StoredLifecycle {
  if (r.lifecycle) {
    // jsonb keeps an object's keys in its own order: the items go back into the order's.
    const { dispenseNotificationsSeen, ...stored } = r.lifecycle as StoredLifecycle;
    const inOrder = (items: Items): Items => Object.fromEntries((r.item_ids as string[]).filter((id) => Object.hasOwn(items, id)).map((id) => [id, items[id]!]));
    const messagesSeen = stored.messagesSeen ?? dispenseNotificationsSeen;
    return { ...stored, items: inOrder(stored.items), itemsBefore: stored.itemsBefore.map(inOrder), ...(messagesSeen ? { messagesSeen } : {}) };
  }
  const items = Object.fromEntries((r.item_ids as string[]).map((id) => [id, (r.cancelled_items as string[]).includes(id) ? 'cancelled' : ITEM_OF_STATUS[r.status as Status]]));
  return { items, itemsBefore: Array.from({ length: r.dispense_notifications as number }, () => items) };
}

function rowOf(r: Record<string, any>): PrescriptionRow {
  const lifecycle = lifecycleOf(r);
  return {
    nhsNumber: r.nhs_number, shortFormId: r.short_form_id, longFormId: r.long_form_id ?? undefined, prescriberOds: r.prescriber_ods,
    author: r.author ?? undefined, nominatedPharmacy: r.nominated_pharmacy ?? undefined, courseOfTherapy: r.course_of_therapy ?? undefined,
    state: {
      status: r.status as Status,
      dispenseNotifications: r.dispense_notifications,
      ...(r.dispenser ? { dispenser: r.dispenser } : {}),
      ...(r.pending_cancellation_by ? { pendingCancellationBy: r.pending_cancellation_by } : {}),
      ...(lifecycle.pendingCancellationItems ? { pendingCancellationItems: lifecycle.pendingCancellationItems } : {}),
      items: lifecycle.items,
      itemsBefore: lifecycle.itemsBefore,
      ...(lifecycle.dispenseNotificationIds ? { dispenseNotificationIds: lifecycle.dispenseNotificationIds } : {}),
      ...(lifecycle.messagesSeen ? { messagesSeen: lifecycle.messagesSeen } : {}),
      ...(lifecycle.prescribed ? { prescribed: lifecycle.prescribed } : {}),
      ...(lifecycle.dispensedQuantities ? { dispensedQuantities: lifecycle.dispensedQuantities } : {}),
      ...(lifecycle.dispensedUnmeasured ? { dispensedUnmeasured: lifecycle.dispensedUnmeasured } : {}),
      ...(lifecycle.claimedAt ? { claimedAt: lifecycle.claimedAt } : {}),
      ...(lifecycle.claimIdentifier ? { claimIdentifier: lifecycle.claimIdentifier } : {}),
      ...(lifecycle.repeat ? { repeat: lifecycle.repeat } : {}),
    },
    ...(r.valid_until ? { validUntil: r.valid_until } : {}),
    itemIds: r.item_ids, cancelledItems: r.cancelled_items, createdAt: r.created_at, updatedAt: r.updated_at, version: r.version,
  };
}

const orderedRowOf = (r: Record<string, any>): OrderedPrescription => ({ ...rowOf(r), orderBundle: JSON.parse(r.order_text) as Json });

/*
 * Short-form ids are unique across patients, but prescriptions are keyed (and, under Citus,
 * distributed) by NHS number: `short_form_ids` maps each id to its NHS number. A read by id looks
 * the NHS number up first, then reads by the full key; every write keeps the two in step.
 */
/** The NHS number of each short-form id, read on the pool with other requests' in one statement under load (an id asked twice is read once). */
const nhsNumbersOf = createCoalescer<string, string | undefined>(async (db, _key, shortFormIds) => {
  const { rows } = await db.query<{ short_form_id: string; nhs_number: string }>({ name: 'eps-nhs-numbers-of',
    text: 'SELECT short_form_id, nhs_number FROM prescriptions.short_form_ids WHERE short_form_id = ANY($1)', values: [[...new Set(shortFormIds)]] });
  const found = new Map(rows.map((r) => [r.short_form_id, r.nhs_number]));
  return shortFormIds.map((id) => found.get(id));
});

/**
 * Unlocked reads of prescriptions by their full key, read with other requests' in one statement
 * under load (coalesce.ts), `ordered` with the order's text: a dispensing call reads its
 * prescription first, and alone that read's round trip cost PostgreSQL several times its work. A
 * batch of several patients' reaches several shards under Citus, as the locator's look-ups do.
 * Both columns as lists, not a list of pairs (`IN (SELECT … unnest …)`, which took three times as
 * long to plan and five times as long to run for four keys): a row of one key's NHS number and
 * another's id would only be returned if it existed, and is not answered to anyone.
 */
const readByKeys = createCoalescer<{ nhsNumber: string; shortFormId: string }, Record<string, any> | undefined>(async (db, shape, keys) => {
  const { rows } = await db.query({ name: `eps-read-${shape}`,
    text: `SELECT ${shape === 'ordered' ? WITH_ORDER : SELECTED} FROM prescriptions.prescriptions
             WHERE nhs_number = ANY($1) AND short_form_id = ANY($2)`,
    values: [keys.map((k) => k.nhsNumber), keys.map((k) => k.shortFormId)] });
  const found = new Map(rows.map((r) => [`${r.nhs_number}|${r.short_form_id}`, r]));
  return keys.map((k) => found.get(`${k.nhsNumber}|${k.shortFormId}`));
});

const storedLifecycle = (state: PrescriptionState): StoredLifecycle => ({
  items: state.items, itemsBefore: state.itemsBefore,
  ...(state.dispenseNotificationIds ? { dispenseNotificationIds: state.dispenseNotificationIds } : {}),
  ...(state.messagesSeen ? { messagesSeen: state.messagesSeen } : {}),
  ...(state.prescribed ? { prescribed: state.prescribed } : {}),
  ...(state.dispensedQuantities ? { dispensedQuantities: state.dispensedQuantities } : {}),
  ...(state.dispensedUnmeasured ? { dispensedUnmeasured: state.dispensedUnmeasured } : {}),
  ...(state.pendingCancellationItems ? { pendingCancellationItems: state.pendingCancellationItems } : {}),
  ...(state.claimedAt ? { claimedAt: state.claimedAt } : {}),
  ...(state.claimIdentifier ? { claimIdentifier: state.claimIdentifier } : {}),
  ...(state.repeat ? { repeat: state.repeat } : {}),
});
const cancelledItemsOf = (state: PrescriptionState) => Object.keys(state.items).filter((id) => state.items[id] === 'cancelled');

/** Whether a prescription has the short-form id (read on the pool, with other requests' under load). */
export async function shortFormIdTaken(db: Queryable, shortFormId: string): Promise<boolean> {
  return (await nhsNumbersOf(db, 'locate', shortFormId)) !== undefined;
}

/**
 * Sandbox mode, where a known id is accepted again: the earlier prescription with the id, its history
 * and its claim, removed. `db` is the order's transaction: the lock on the id holds until it ends.
 */
export async function removePrescription(db: Queryable, shortFormId: string): Promise<void> {
  // Orders of one id queue here for the transaction: the second then sees (and removes) what the
  // first wrote, where without it each would delete the rows of its own snapshot and find the id
  // taken by the other's, decided again until it gave up (concurrent test suites replaying one example).
  await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`prescriptions.short-form-id:${shortFormId}`]);
  await db.query(
    `WITH released AS (DELETE FROM prescriptions.short_form_ids WHERE short_form_id = $1 RETURNING short_form_id, nhs_number),
       history AS (DELETE FROM prescriptions.history h USING released WHERE h.nhs_number = released.nhs_number AND h.short_form_id = released.short_form_id)
     DELETE FROM prescriptions.prescriptions p USING released WHERE p.nhs_number = released.nhs_number AND p.short_form_id = released.short_form_id`,
    [shortFormId]);
}

/**
 * A new prescription's writes: its short-form id claimed in the locator, and its row with its order
 * (`orderText`: as received, else the order Bundle's JSON). Each writes nothing when the id is
 * taken, so guard both (`WriteBatch.add(statement, 1)`).
 */
export function newPrescriptionStatements(row: Omit<OrderedPrescription, 'version'>, orderText = JSON.stringify(row.orderBundle)): Statement[] {
  return [{
    text: 'INSERT INTO prescriptions.short_form_ids (short_form_id, nhs_number) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    values: [row.shortFormId, row.nhsNumber],
  }, {
    text: `INSERT INTO prescriptions.prescriptions (${COLUMNS}, order_text) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
     ON CONFLICT DO NOTHING`,
    values: [row.nhsNumber, row.shortFormId, row.longFormId ?? null, row.prescriberOds, row.author ?? null, row.nominatedPharmacy ?? null,
      row.courseOfTherapy ?? null, row.state.status, row.state.dispenser ?? null, row.state.dispenseNotifications, row.state.pendingCancellationBy ?? null,
      row.itemIds, row.cancelledItems, row.createdAt, row.updatedAt, storedLifecycle(row.state), row.validUntil ?? null, orderText],
  }];
}

/**
 * The prescription and its order, as it is now: its `version` guards a change. No lock is taken
 * unless `lock` (`db` then a transaction): the row is locked until it ends, so a change decided
 * from it cannot be overtaken. A single-shard statement under Citus (the full key).
 */
export async function readOrderedPrescription(db: Queryable, shortFormId: string, lock = false): Promise<OrderedPrescription | undefined> {
  const nhsNumber = await nhsNumbersOf(db, 'locate', shortFormId);
  if (nhsNumber === undefined) return undefined;
  if (!lock) {
    const row = await readByKeys(db, 'ordered', { nhsNumber, shortFormId });
    return row ? orderedRowOf(row) : undefined;
  }
  const { rows } = await db.query({ name: 'eps-lock-ordered',
    text: `SELECT ${WITH_ORDER} FROM prescriptions.prescriptions WHERE nhs_number = $1 AND short_form_id = $2 FOR UPDATE`, values: [nhsNumber, shortFormId] });
  return rows[0] ? orderedRowOf(rows[0]) : undefined;
}

/** The prescription as it is now, as `readOrderedPrescription` reads it, without its order. */
export async function readPrescription(db: Queryable, shortFormId: string, lock = false): Promise<PrescriptionRow | undefined> {
  const nhsNumber = await nhsNumbersOf(db, 'locate', shortFormId);
  return nhsNumber === undefined ? undefined : readPrescriptionOf(db, nhsNumber, shortFormId, lock);
}

/**
 * The patient's prescription with this id, by its full key, as `readPrescription` reads it: a
 * message that names the patient (a dispense notification, a claim) needs no look-up of the id first.
 */
export async function readPrescriptionOf(db: Queryable, nhsNumber: string, shortFormId: string, lock = false): Promise<PrescriptionRow | undefined> {
  if (!lock) {
    const row = await readByKeys(db, 'row', { nhsNumber, shortFormId });
    return row ? rowOf(row) : undefined;
  }
  const { rows } = await db.query({ name: 'eps-lock',
    text: `SELECT ${SELECTED} FROM prescriptions.prescriptions WHERE nhs_number = $1 AND short_form_id = $2 FOR UPDATE`, values: [nhsNumber, shortFormId] });
  return rows[0] ? rowOf(rows[0]) : undefined;
}

/** What organisation `$n` may see, as domain/tracking-access.ts decides: all if it prescribed, is nominated or holds it; else the earlier issues it dispensed. */
const SEES_ALL = (param: string) => `prescriber_ods = ${param} OR nominated_pharmacy = ${param} OR dispenser = ${param}`;
const SEEN_BY = (param: string) => `${SEES_ALL(param)}
  OR lifecycle->'repeat'->'earlier' @> jsonb_build_array(jsonb_build_object('dispenser', ${param}::text))`;
/** How many of a prescription's Tasks `$n` (anyone, when null) sees: one an issue so far (one if not repeat), or one an earlier issue it dispensed. */
const TASKS_SEEN_BY = (param: string) => `CASE WHEN ${param}::text IS NULL OR ${SEES_ALL(param)} THEN coalesce((lifecycle->'repeat'->>'issue')::int, 1)
  ELSE (SELECT count(*) FROM jsonb_array_elements(lifecycle->'repeat'->'earlier') e WHERE e->>'dispenser' = ${param}) END`;

/**
 * A patient's prescriptions, newest first: `limit` of those `seenBy` may see (the organisation that
 * prescribed it, the pharmacy it is nominated to or held by), or of all when `seenBy` is undefined.
 * Chosen in the query, before the limit: a caller's own were hidden behind another organisation's
 * newer ones when the newest `limit` were read first and then filtered.
 */
export async function prescriptionsOfPatient(db: Queryable, nhsNumber: string, limit: number, seenBy?: string): Promise<PrescriptionRow[]> {
  const { rows } = await db.query(
    `SELECT ${SELECTED} FROM prescriptions.prescriptions
      WHERE nhs_number = $1 AND ($3::text IS NULL OR ${SEEN_BY('$3')})
      ORDER BY created_at DESC LIMIT $2`, [nhsNumber, limit, seenBy ?? null]);
  return rows.map(rowOf);
}

/**
 * How many of a patient's prescriptions `seenBy` may see (all when undefined), as `prescriptionsOfPatient`
 * chooses them, and how many of their Tasks tracking shows it (`TASKS_SEEN_BY`).
 */
export async function countPrescriptionsOfPatient(db: Queryable, nhsNumber: string, seenBy?: string): Promise<{ prescriptions: number; tasks: number }> {
  const { rows } = await db.query<{ prescriptions: number; tasks: number }>(
    `SELECT count(*)::int AS prescriptions, coalesce(sum(${TASKS_SEEN_BY('$2')}), 0)::int AS tasks
       FROM prescriptions.prescriptions
      WHERE nhs_number = $1 AND ($2::text IS NULL OR ${SEEN_BY('$2')})`, [nhsNumber, seenBy ?? null]);
  return rows[0]!;
}

/** A patient's prescriptions with their orders (what was prescribed), newest first. */
export async function orderedPrescriptionsOfPatient(db: Queryable, nhsNumber: string, limit: number): Promise<OrderedPrescription[]> {
  const { rows } = await db.query(
    `SELECT ${WITH_ORDER} FROM prescriptions.prescriptions WHERE nhs_number = $1 ORDER BY created_at DESC LIMIT $2`, [nhsNumber, limit]);
  return rows.map(orderedRowOf);
}

/**
 * Up to `limit` prescriptions nominated to a pharmacy, waiting and released to none (a repeat issue
 * not before its window), oldest first; rows another release holds are skipped, and so are those
 * whose validity ended before `validAt` (none in sandbox mode): they are expired, swept or not, and
 * would fill the batch in place of those the pharmacy may have. Found first, then each locked by its
 * full key and checked again, as `lockExpired`: under Citus the find reads every shard but takes no
 * lock, and each lock is a single-shard statement. Twice as many are found as wanted, so a release
 * racing another for the same pharmacy still gets the next ones.
 */
const NOMINATED = `nominated_pharmacy = $1 AND status = 'to-be-dispensed'
  AND (lifecycle->'repeat'->>'availableFrom' IS NULL OR (lifecycle->'repeat'->>'availableFrom')::timestamptz <= $2)
  AND ($3::timestamptz IS NULL OR valid_until IS NULL OR valid_until >= $3)`;
export async function lockNominated(db: Queryable, pharmacy: string, now: Date, limit: number, validAt?: Date): Promise<OrderedPrescription[]> {
  const found = await db.query<{ nhs_number: string; short_form_id: string }>(
    `SELECT nhs_number, short_form_id FROM prescriptions.prescriptions WHERE ${NOMINATED} ORDER BY created_at LIMIT $4`, [pharmacy, now, validAt ?? null, limit * 2]);
  const locked: OrderedPrescription[] = [];
  for (const key of found.rows) {
    if (locked.length === limit) break;
    const { rows } = await db.query(
      `SELECT ${WITH_ORDER} FROM prescriptions.prescriptions WHERE nhs_number = $4 AND short_form_id = $5 AND ${NOMINATED} FOR UPDATE SKIP LOCKED`,
      [pharmacy, now, validAt ?? null, key.nhs_number, key.short_form_id]);
    if (rows[0]) locked.push(orderedRowOf(rows[0]));
  }
  return locked;
}

/**
 * Up to `limit` prescriptions whose validity ended before `now` with an issue still to dispense,
 * locked for their expiry; rows another transaction holds are skipped (the next sweep gets them).
 * Found first, then each locked by its full key and checked again: under Citus a row lock is a
 * single-shard statement, and a row changed since it was found is left alone.
 */
const EXPIRABLE = `valid_until IS NOT NULL AND valid_until < $1 AND status IN ('to-be-dispensed', 'with-dispenser', 'with-dispenser-active')`;
export async function lockExpired(db: Queryable, now: Date, limit: number): Promise<{ locked: PrescriptionRow[]; foundAll: boolean }> {
  const found = await db.query<{ nhs_number: string; short_form_id: string }>(
    `SELECT nhs_number, short_form_id FROM prescriptions.prescriptions WHERE ${EXPIRABLE} ORDER BY valid_until LIMIT $2`, [now, limit]);
  const locked: PrescriptionRow[] = [];
  for (const key of found.rows) {
    const { rows } = await db.query(
      `SELECT ${SELECTED} FROM prescriptions.prescriptions WHERE nhs_number = $2 AND short_form_id = $3 AND ${EXPIRABLE} FOR UPDATE SKIP LOCKED`,
      [now, key.nhs_number, key.short_form_id]);
    if (rows[0]) locked.push(rowOf(rows[0]));
  }
  // Fewer found than asked for: there are no more to find.
  return { locked, foundAll: found.rows.length < limit };
}

/**
 * The new state, written only over the version of the row it was decided from (one row, or none
 * when the row has changed since: guard it with `WriteBatch.add(statement, 1)`); `cancelled_items`
 * kept in step with the items (the previous release reads it).
 */
export function stateStatement(row: PrescriptionRow, state: PrescriptionState, at: Date): Statement {
  return {
    text: `UPDATE prescriptions.prescriptions SET status = $3, dispenser = $4, dispense_notifications = $5, pending_cancellation_by = $6,
       cancelled_items = $7, updated_at = $8, lifecycle = $9 WHERE nhs_number = $1 AND short_form_id = $2 AND xmin = $10::xid`,
    values: [row.nhsNumber, row.shortFormId, state.status, state.dispenser ?? null, state.dispenseNotifications, state.pendingCancellationBy ?? null,
      cancelledItemsOf(state), at, storedLifecycle(state), row.version],
  };
}

export interface HistoryEntry {
  event: string;
  /** The repeat issue it is about (1 for a prescription dispensed once). */
  issue?: number;
  status: Status;
  actorOds?: string;
  actorUser?: string;
  requestId?: string;
  /** The message that made the change (dispense notification, claim, task), as its JSON text. */
  messageText?: string;
}

export function historyStatement(row: Pick<PrescriptionRow, 'nhsNumber' | 'shortFormId'>, entry: HistoryEntry, at: Date): Statement {
  return {
    text: `INSERT INTO prescriptions.history (nhs_number, short_form_id, at, event, status, actor_ods, actor_user, request_id, message_text, issue)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
    values: [row.nhsNumber, row.shortFormId, at, entry.event, entry.status, entry.actorOds ?? null, entry.actorUser ?? null, entry.requestId ?? null,
      entry.messageText ?? null, entry.issue ?? 1],
  };
}

/** The status histories of one patient's prescriptions, by short-form id, in one statement (a tracking search shows up to 100). */
export async function historiesOf(db: Queryable, nhsNumber: string, shortFormIds: readonly string[]): Promise<Map<string, Array<HistoryEntry & { at: Date }>>> {
  const histories = new Map<string, Array<HistoryEntry & { at: Date }>>(shortFormIds.map((id) => [id, []]));
  if (shortFormIds.length === 0) return histories;
  const { rows } = await db.query(`SELECT short_form_id, at, event, status, actor_ods, actor_user, issue FROM prescriptions.history
    WHERE nhs_number = $1 AND short_form_id = ANY($2) ORDER BY short_form_id, seq`, [nhsNumber, [...histories.keys()]]);
  for (const r of rows) {
    histories.get(r.short_form_id)?.push({ at: r.at, event: r.event, status: r.status, actorOds: r.actor_ods ?? undefined, actorUser: r.actor_user ?? undefined, issue: r.issue ?? 1 });
  }
  return histories;
}

/** Bulk export: a page of prescriptions after (NHS number, short-form id), in that order; `since`: changed after then. */
export async function prescriptionPage(db: Queryable, after: { nhsNumber: string; shortFormId: string }, limit: number, since?: Date):
  Promise<Array<{ nhsNumber: string; shortFormId: string; status: Status; items: Items; orderBundle: Json }>> {
  const { rows } = await db.query({
    name: 'eps-export-page',
    text: `SELECT nhs_number, short_form_id, status, item_ids, cancelled_items, dispense_notifications, lifecycle, ${ORDER_TEXT} FROM prescriptions.prescriptions
            WHERE (nhs_number, short_form_id) > ($1, $2) AND ($4::timestamptz IS NULL OR updated_at > $4)
            ORDER BY nhs_number, short_form_id LIMIT $3`,
    values: [after.nhsNumber, after.shortFormId, limit, since ?? null],
  });
  return rows.map((r) => ({ nhsNumber: r.nhs_number, shortFormId: r.short_form_id, status: r.status, items: lifecycleOf(r).items, orderBundle: JSON.parse(r.order_text) as Json }));
}
