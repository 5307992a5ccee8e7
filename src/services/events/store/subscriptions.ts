import type { Db, Queryable } from '../../../platform/db/pool.js';

/** A stored subscription, NEMS or MNS. `rule` is the parsed criteria (NemsCriteria or MnsCriteria). */
export interface SubscriptionRow {
  id: string;
  api: 'nems' | 'mns';
  ownerAppId: string;
  ownerOds?: string;
  criteria: string;
  rule: Record<string, unknown>;
  eventTypes: string[];
  nhsNumber?: string;
  channel: 'mesh' | 'rest-hook';
  endpoint: string;
  mailbox?: string;
  workflowId?: string;
  payloadType?: string;
  tag?: string;
  signingSecret?: string;
  resource: Record<string, unknown>;
  createdAt: Date;
  endsAt?: Date;
}

const COLUMNS = `id, api, owner_app_id, owner_ods, criteria, rule, event_types, nhs_number, channel, endpoint, mailbox,
  workflow_id, payload_type, tag, signing_secret, resource, created_at, ends_at`;

function fromRow(r: Record<string, any>): SubscriptionRow {
  return {
    id: r.id, api: r.api, ownerAppId: r.owner_app_id, ownerOds: r.owner_ods ?? undefined, criteria: r.criteria, rule: r.rule,
    eventTypes: r.event_types, nhsNumber: r.nhs_number ?? undefined, channel: r.channel, endpoint: r.endpoint,
    mailbox: r.mailbox ?? undefined, workflowId: r.workflow_id ?? undefined, payloadType: r.payload_type ?? undefined,
    tag: r.tag ?? undefined, signingSecret: r.signing_secret ?? undefined, resource: r.resource, createdAt: r.created_at,
    endsAt: r.ends_at ?? undefined,
  };
}

/**
 * The Subscription as read back: `off` once its `end` has passed (FHIR's Subscription.end: the server
 * turns it off then), as nothing is delivered to it any more; `active` as stored otherwise.
 */
export function subscriptionAsRead(s: SubscriptionRow, now: Date): Record<string, unknown> {
  return s.endsAt !== undefined && s.endsAt <= now ? { ...s.resource, status: 'off' } : s.resource;
}

export async function insertSubscription(db: Queryable, s: SubscriptionRow): Promise<void> {
  await db.query(`INSERT INTO events.subscriptions (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`, [
    s.id, s.api, s.ownerAppId, s.ownerOds ?? null, s.criteria, s.rule, s.eventTypes, s.nhsNumber ?? null, s.channel, s.endpoint,
    s.mailbox ?? null, s.workflowId ?? null, s.payloadType ?? null, s.tag ?? null, s.signingSecret ?? null, s.resource, s.createdAt, s.endsAt ?? null,
  ]);
}

export async function findSubscription(db: Queryable, api: 'nems' | 'mns', id: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM events.subscriptions WHERE id = $1 AND api = $2 AND deleted_at IS NULL`, [id, api]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function deleteSubscription(db: Queryable, api: 'nems' | 'mns', id: string, at: Date): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE events.subscriptions SET deleted_at = $3 WHERE id = $1 AND api = $2 AND deleted_at IS NULL`, [id, api, at]);
  return (rowCount ?? 0) > 0;
}

/**
 * Saves a subscription (MNS: with `replacing`, in place of that one) unless its owner already has
 * another matching it, whose id it then returns and saves nothing. Matching is by meaning, not
 * spelling: the same parsed criteria (`rule`: quotes and term order do not count) to the same
 * destination (a MESH mailbox, whatever its case, and workflow; or the webhook's normalised URL).
 * Compared as sent, `mesh://a83008mb01?…` beside `mesh://A83008MB01?…` or `eventType='X'` beside
 * `eventType=X` made a second subscription, and the mailbox got every event twice. One
 * transaction under a lock on the three, so two identical requests at once cannot both create one
 * (the spec's 409 for the second); unrelated ones that share the lock's hash only take turns.
 */
// NEMS: the same, for the organisation's subscriptions to its mailbox (findMatchingNemsSubscription): a
// second identical one was 201 and stored, and its subId|tag pair rode along in every event's Mex-PartnerID.
export type SaveOutcome = { matching: string } | { gone: true } | { saved: true; signingSecret?: string };

export async function saveUnlessMatching(db: Db, s: SubscriptionRow, replacing?: string): Promise<SaveOutcome> {
  return db.tx(async (tx) => {
    const lockKey = s.api === 'nems' ? `nems-subscription\n${s.ownerOds?.toUpperCase()}\n${JSON.stringify(nemsRuleKey(s.rule))}\n${s.mailbox?.toUpperCase()}`
      : `mns-subscription\n${s.ownerAppId}\n${JSON.stringify(s.rule)}\n${destinationOf(s)}`;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
    const existing = await findMatchingSubscription(tx, s);
    if (existing && existing !== replacing) return { matching: existing };
    if (replacing) return replaceSubscription(tx, replacing, s);
    await insertSubscription(tx, s);
    return { saved: true, signingSecret: s.signingSecret };
  });
}

/**
 * A replace is one UPDATE of the live row, not a delete and an insert: two replaces at once then take
 * turns on the row (the second applies to the first's result), and a replace that meets a delete
 * finds nothing (gone: not found). A webhook keeps the secret it has, or takes `s`'s; the one stored
 * is returned (two replaces that make a webhook at once answer the same secret). Deleted and inserted again, the second of two replaces inserted
 * an id the first had just inserted (500), and a replace racing a delete (204) brought the deleted
 * subscription back to life.
 */
async function replaceSubscription(tx: Queryable, id: string, s: SubscriptionRow): Promise<SaveOutcome> {
  const { rows } = await tx.query(
    `UPDATE events.subscriptions SET owner_ods = $2, criteria = $3, rule = $4, event_types = $5, nhs_number = $6, channel = $7, endpoint = $8,
       mailbox = $9, workflow_id = $10, payload_type = $11, tag = $12, signing_secret = CASE WHEN $7 = 'rest-hook' THEN COALESCE(signing_secret, $13) END, resource = $14, ends_at = $15
     WHERE id = $1 AND api = 'mns' AND owner_app_id = $16 AND deleted_at IS NULL RETURNING signing_secret`,
    [id, s.ownerOds ?? null, s.criteria, s.rule, s.eventTypes, s.nhsNumber ?? null, s.channel, s.endpoint, s.mailbox ?? null, s.workflowId ?? null,
      s.payloadType ?? null, s.tag ?? null, s.signingSecret ?? null, s.resource, s.endsAt ?? null, s.ownerAppId]);
  return rows[0] ? { saved: true, signingSecret: rows[0].signing_secret ?? undefined } : { gone: true };
}

const destinationOf = (s: SubscriptionRow) => (s.channel === 'mesh' ? `mesh:${s.mailbox?.toUpperCase()}:${s.workflowId}` : `hook:${s.endpoint}`);

/**
 * The owner's live MNS subscription with the same parsed criteria to the same destination, if any.
 * The filters are compared as a set (each holds the other; their keys are unique): subscriptions
 * saved before 8511ce8 keep their filters in the order sent, and a reordered copy of one is a match
 * all the same. Compared here, not rewritten by a migration, so rows a process of that release
 * writes during a rolling upgrade match too.
 */
export async function findMatchingSubscription(db: Queryable, s: SubscriptionRow): Promise<string | undefined> {
  if (s.api === 'nems') return findMatchingNemsSubscription(db, s);
  const { rows } = await db.query(
    `SELECT id FROM events.subscriptions WHERE api = 'mns' AND owner_app_id = $1 AND channel = $3 AND deleted_at IS NULL
       AND (rule - 'filters') = ($2::jsonb - 'filters') AND (rule->'filters') @> ($2::jsonb->'filters') AND ($2::jsonb->'filters') @> (rule->'filters')
       AND (CASE WHEN $3 = 'mesh' THEN upper(mailbox) = upper($4) AND workflow_id = $5 ELSE endpoint = $6 END) ORDER BY created_at, id LIMIT 1`,
    [s.ownerAppId, JSON.stringify(s.rule), s.channel, s.mailbox ?? null, s.workflowId ?? null, s.endpoint]);
  return rows[0]?.id;
}

/**
 * NEMS: a criteria's meaning, for the lock two identical creates take turns on: its events and age
 * bounds as sets (the criteria string may list them in any order), the rest as parsed.
 */
function nemsRuleKey(rule: Record<string, unknown>): Record<string, unknown> {
  const { events, ages, ...rest } = rule as { events?: string[]; ages?: Array<{ op: string }> };
  return { ...rest, events: [...(events ?? [])].sort(), ages: [...(ages ?? [])].sort((a, b) => a.op.localeCompare(b.op)) };
}

/**
 * NEMS: the organisation's live subscription with the same parsed criteria (events and age bounds
 * compared as sets, the rest as parsed: tag included, as it is what the subscriber is told in
 * Mex-PartnerID) to the same MESH mailbox, if any. Its `end` and `reason` do not make another: NEMS
 * has no update, so a subscription is changed by deleting it and creating the new one.
 */
async function findMatchingNemsSubscription(db: Queryable, s: SubscriptionRow): Promise<string | undefined> {
  const { rows } = await db.query(MATCHING_NEMS_SUBSCRIPTION, [s.ownerOds ?? null, JSON.stringify(s.rule), s.mailbox ?? null]);
  return rows[0]?.id;
}

/** The look-up of findMatchingNemsSubscription ($1 owner ODS, $2 rule, $3 mailbox): one descent of subscriptions_nems_owner_mailbox (migration 003). */
export const MATCHING_NEMS_SUBSCRIPTION =
  `SELECT id FROM events.subscriptions WHERE api = 'nems' AND upper(owner_ods) = upper($1) AND upper(mailbox) = upper($3) AND deleted_at IS NULL
     AND (rule - 'events' - 'ages') = ($2::jsonb - 'events' - 'ages')
     AND (rule->'events') @> ($2::jsonb->'events') AND ($2::jsonb->'events') @> (rule->'events')
     AND coalesce(rule->'ages', '[]') @> coalesce($2::jsonb->'ages', '[]') AND coalesce($2::jsonb->'ages', '[]') @> coalesce(rule->'ages', '[]')
   ORDER BY created_at, id LIMIT 1`;

/** One page of an owner's MNS subscriptions, oldest first, after a (created_at, id) cursor. */
export async function listSubscriptions(db: Queryable, ownerAppId: string, after: { at: Date; id: string } | undefined, limit: number): Promise<SubscriptionRow[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM events.subscriptions WHERE api = 'mns' AND owner_app_id = $1 AND deleted_at IS NULL
       AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid)) ORDER BY created_at, id LIMIT $4`,
    [ownerAppId, after?.at ?? null, after?.id ?? null, limit]);
  return rows.map(fromRow);
}

/**
 * Live subscriptions that could match events of these types about these patients (explicit ones
 * only for them), one query for a routing round; not yet ended at `earliest`, the round's oldest
 * event (each event's own time is checked by the caller).
 */
export async function candidateSubscriptions(db: Queryable, eventTypes: string[], nhsNumbers: string[], earliest: Date): Promise<SubscriptionRow[]> {
  const { rows } = await db.query({
    name: 'events-candidate-subscriptions',
    text: `SELECT ${COLUMNS} FROM events.subscriptions WHERE deleted_at IS NULL AND event_types && $1::text[]
             AND (nhs_number IS NULL OR nhs_number = ANY($2::text[])) AND (ends_at IS NULL OR ends_at > $3)`,
    values: [eventTypes, nhsNumbers, earliest],
  });
  return rows.map(fromRow);
}

/** Of these event codes, those some live subscription names (as `candidateSubscriptions` finds them, any patient). */
export async function subscribedCodes(db: Queryable, eventTypes: string[], earliest: Date): Promise<Set<string>> {
  if (eventTypes.length === 0) return new Set();
  const { rows } = await db.query<{ code: string }>({
    name: 'events-subscribed-codes',
    text: `SELECT DISTINCT code FROM events.subscriptions, unnest(event_types) AS code WHERE deleted_at IS NULL AND event_types && $1::text[]
             AND (ends_at IS NULL OR ends_at > $2) AND code = ANY($1::text[])`,
    values: [eventTypes, earliest],
  });
  return new Set(rows.map((r) => r.code));
}

/** Of a round's candidates, those that could match this event: its type, its patient, live at its time. */
export function candidatesFor(candidates: SubscriptionRow[], codes: string[], nhsNumber: string | undefined, at: Date): SubscriptionRow[] {
  return candidates.filter((s) => s.eventTypes.some((t) => codes.includes(t)) && (s.nhsNumber === undefined || s.nhsNumber === nhsNumber)
    && (s.endsAt === undefined || s.endsAt > at));
}

export async function subscriptionById(db: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM events.subscriptions WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/**
 * What delivery needs of a round's subscriptions, in one query: each live one's signing secret, owner
 * and, for a webhook, its URL now (a replace may have moved it since its deliveries were routed).
 */
export async function deliveryKeysOf(db: Queryable, ids: string[]): Promise<Map<string, { secret?: string; owner: string; webhook?: string; endsAt?: Date }>> {
  const { rows } = await db.query({
    name: 'events-delivery-keys',
    text: 'SELECT id, signing_secret, owner_app_id, channel, endpoint, ends_at FROM events.subscriptions WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL',
    values: [ids],
  });
  return new Map(rows.map((r) => [r.id as string, {
    secret: r.signing_secret ?? undefined, owner: r.owner_app_id as string, webhook: r.channel === 'rest-hook' ? r.endpoint as string : undefined,
    endsAt: r.ends_at ?? undefined,
  }]));
}
