import type { Logger } from 'pino';
import type { RelayDb } from './relay-db.js';
import { isDatabaseUnavailable } from '../../../platform/db/faults.js';
import type { AuditWriter } from '../../../platform/audit/writer.js';
import type { EventRelayConfig } from '../../../platform/events/relay-config.js';
import type { BackgroundWorker } from '../../../platform/service.js';
import type { MessagingApi } from '../../messaging/api.js';
import { retryDelayMs } from '../domain/backoff.js';
import { claimDueDeliveries, insertDeliveries, markDelivered, markFailed, pruneDelivered, type DueDelivery, type FailedAttempt } from '../store/deliveries.js';
import { claimUnrouted, routedSince } from '../store/outbox-reads.js';
import { candidateSubscriptions, candidatesFor, deliveryKeysOf, subscribedCodes, subscriptionById } from '../store/subscriptions.js';
import { possibleCodes, routableEvent, type EventSources, type RoutableEvent } from './events-of.js';
import { codesOf, fanOut } from './fan-out.js';
import { sendOverMesh, WebhookClient, type SendResult } from './channels.js';
import type { RelayMetrics } from './metrics.js';
import type { WebhookReach } from '../domain/webhook-reach.js';

export interface RelayDeps {
  db: RelayDb;
  log: Logger;
  audit: AuditWriter;
  config: EventRelayConfig;
  /** Where webhooks may connect (domain/webhook-reach.ts). */
  webhookReach: WebhookReach;
  sources: EventSources;
  messaging: MessagingApi;
  subscriptionUrl: (api: 'nems' | 'mns', id: string) => string;
  metrics?: RelayMetrics;
  now: () => Date;
}

/** Outbox rows whose look-ups run at once while routing (within the relay pool's spare connections). */
const ROUTING_LOOKUPS_AT_ONCE = 4;

/**
 * Where a routing round starts reading the outbox. A routed row leaves a dead entry in the outbox's
 * index of unrouted rows until vacuum reaches it, and a round that started at the lowest id walked
 * every one of them: some 700 buffer reads a round at the NRL bench's 2,000 creates/s, where the
 * round itself claimed about 40 rows. A round starts at the first id the last one claimed instead,
 * and once a second at the start: a row that became visible after rows of higher ids (its
 * transaction took its id first but committed later), or that another relay claimed and then gave
 * back, is routed within a second, never left behind.
 */
export class RoutingCursor {
  private from = 0;
  private sweptAt = -Infinity;

  constructor(private readonly sweepEveryMs = 1_000, private readonly now = () => Date.now()) {}

  /** The id the next round reads from. */
  next(): number {
    if (this.now() - this.sweptAt < this.sweepEveryMs) return this.from;
    this.sweptAt = this.now();
    return 0;
  }

  /** After a round committed: the ids it claimed, in order. */
  routed(ids: readonly number[]): void {
    if (ids.length > 0) this.from = ids[0]!;
  }
}

/**
 * Routing: claims unrouted outbox rows (SKIP LOCKED, so relays in several processes take different
 * rows) and marks them routed in one statement, then makes their deliveries, all in one
 * transaction: an event is routed exactly once, and a relay that dies mid-way leaves its rows to
 * the next. A round reads its candidate subscriptions in one query and writes its deliveries in one
 * statement.
 */
export async function routeRound(deps: RelayDeps, cursor = new RoutingCursor()): Promise<number> {
  const claimed = await deps.db.tx(async (tx) => {
    const rows = await claimUnrouted(tx, deps.config.batchSize, cursor.next());
    if (rows.length === 0) return rows;
    // One row that cannot be routed (a payload no subscriber form fits) must not hold up the
    // outbox behind it: it is logged and passed over; a database fault retries the whole round.
    const passOver = (err: unknown, row: { id: number; eventType: string }) => {
      if (isDatabaseUnavailable(err)) throw err;
      deps.log.error({ err, outboxId: row.id, eventType: row.eventType }, 'outbox event could not be routed; passed over');
      deps.metrics?.attempt('routing', 'dead');
    };
    // Only rows some subscription could hear of are routed: the others need no look-up (a
    // subscription made later replays them from the outbox: replaySubscription).
    const earliest = new Date(Math.min(...rows.map((r) => r.createdAt.getTime())));
    const codes = rows.map(possibleCodes);
    const subscribed = await subscribedCodes(tx, [...new Set(codes.flat())], earliest);
    const heard = rows.filter((_, i) => codes[i]!.some((code) => subscribed.has(code)));
    // Each row's look-ups (the patient's flags, the directory's areas) are independent: a few rows
    // at a time, on the relay pool beside this transaction, rather than one round trip after another.
    const events: RoutableEvent[] = [];
    for (let i = 0; i < heard.length; i += ROUTING_LOOKUPS_AT_ONCE) {
      const slice = heard.slice(i, i + ROUTING_LOOKUPS_AT_ONCE);
      const settled = await Promise.allSettled(slice.map((row) => routableEvent(row, deps.sources)));
      settled.forEach((outcome, j) => {
        if (outcome.status === 'rejected') passOver(outcome.reason, slice[j]!);
        else if (outcome.value) events.push(outcome.value);
      });
    }
    if (events.length > 0) {
      const candidates = await candidateSubscriptions(tx, [...new Set(events.flatMap(codesOf))],
        [...new Set(events.map((e) => e.nhsNumber).filter((n): n is string => n !== undefined))],
        new Date(Math.min(...events.map((e) => e.time.getTime()))));
      const url = (id: string) => deps.subscriptionUrl(candidates.find((c) => c.id === id)!.api, id);
      const perEvent = events.map((event) => {
        try {
          return { event, deliveries: fanOut(event, candidatesFor(candidates, codesOf(event), event.nhsNumber, event.time), url) };
        } catch (err) {
          passOver(err, { id: event.outboxId, eventType: event.mns?.type ?? event.nems?.code ?? '' });
          return { event, deliveries: [] };
        }
      }).filter((e) => e.deliveries.length > 0);
      await tx.query('SAVEPOINT route_round');
      try {
        await insertDeliveries(tx, perEvent.flatMap((e) => e.deliveries), deps.config.deadLetterAfterMs);
      } catch (err) {
        if (isDatabaseUnavailable(err)) throw err;
        // Some event's deliveries cannot be stored: each event again on its own, so only that one is passed over.
        await tx.query('ROLLBACK TO SAVEPOINT route_round');
        for (const { event, deliveries } of perEvent) {
          await tx.query('SAVEPOINT route_row');
          try {
            await insertDeliveries(tx, deliveries, deps.config.deadLetterAfterMs);
          } catch (rowErr) {
            await tx.query('ROLLBACK TO SAVEPOINT route_row');
            passOver(rowErr, { id: event.outboxId, eventType: event.mns?.type ?? event.nems?.code ?? '' });
          }
        }
      }
    }
    return rows;
  });
  cursor.routed(claimed.map((r) => r.id));
  return claimed.length;
}

/**
 * Replay: the events routed since `since` (still in the outbox: see the retention) fanned out again
 * to one subscription only, as new deliveries with the events' own idempotency keys.
 */
export async function replaySubscription(deps: RelayDeps, subscriptionId: string, since: Date): Promise<number> {
  const subscription = await subscriptionById(deps.db, subscriptionId);
  if (!subscription) return 0;
  // An ended subscription is sent nothing more, and a replay only what happened before its end.
  const endsAt = subscription.endsAt;
  if (endsAt && endsAt <= deps.now()) return 0;
  let afterId = 0;
  let made = 0;
  for (;;) {
    const rows = await routedSince(deps.db, since, afterId, 500);
    if (rows.length === 0) return made;
    for (const row of rows) {
      const event = await routableEvent(row, deps.sources);
      if (!event || !codesOf(event).some((c) => subscription.eventTypes.includes(c))) continue;
      if (subscription.nhsNumber && subscription.nhsNumber !== event.nhsNumber) continue;
      if (endsAt && event.time >= endsAt) continue;
      const deliveries = fanOut(event, [subscription], (id) => deps.subscriptionUrl(subscription.api, id));
      await insertDeliveries(deps.db, deliveries, deps.config.deadLetterAfterMs);
      made += deliveries.length;
    }
    afterId = rows[rows.length - 1]!.id;
  }
}

/**
 * Delivery: claims the heads of due queues and sends them, holding their row locks until the
 * outcome is recorded (a relay that dies mid-send releases them; the next relay sends again under
 * the same idempotency key: at least once). MESH posts run in the same transaction, so they are
 * exactly once; webhooks are called in parallel.
 */
export async function deliverRound(deps: RelayDeps, webhooks: WebhookClient): Promise<number> {
  const done: Array<{ delivery: DueDelivery; owners: string[] }> = [];
  const claimed = await deps.db.tx(async (tx) => {
    const due = await claimDueDeliveries(tx, deps.config.batchSize);
    if (due.length === 0) return 0;
    const subs = await deliveryKeysOf(tx, [...new Set(due.flatMap((d) => d.subscriptionIds))]);
    const now = deps.now();
    const results: SendResult[] = [];
    // A delivery none of whose subscriptions is live now (each deleted, or past its `end`) is not
    // sent: a subscription that has ended delivers nothing more, even an event routed before its
    // end that waited out retries past it (FHIR's Subscription.end: the server turns it off then).
    const offNow = due.map((d) => d.subscriptionIds.every((id) => {
      const s = subs.get(id);
      return s === undefined || (s.endsAt !== undefined && s.endsAt <= now);
    }));
    const stopped = (i: number) => (due[i]!.subscriptionIds.some((id) => subs.get(id)) ? 'subscription ended' : 'subscription deleted');
    // MESH posts share the transaction's connection, one after another; webhooks go in parallel.
    const hooks = due.map((d, i) => {
      if (offNow[i]) return Promise.resolve<SendResult>({ ok: false, error: stopped(i) });
      if (d.channel !== 'rest-hook') return undefined;
      // To the subscription's URL now: a replace (PUT) that moved the webhook applies to the
      // deliveries already routed, as MNS says an update applies immediately; they kept retrying the
      // old URL, and held the queue, until dead-lettered.
      const s = subs.get(d.subscriptionIds[0]!);
      return s?.secret && s.webhook ? webhooks.send(d, s.secret, s.webhook) : Promise.resolve<SendResult>({ ok: false, error: 'subscription deleted' });
    });
    // Webhooks answer first; then the MESH posts, in mailbox order. Each post holds its recipient's
    // inbox position lock until this round commits (messaging orders a mailbox's deliveries so), so
    // the locks are taken last, and in one order by every relay: rounds cannot deadlock on them.
    for (const [i, d] of due.entries()) if (d.channel !== 'mesh' || offNow[i]) results[i] = await hooks[i]!;
    const meshPosts = [...due.entries()].filter(([i, d]) => d.channel === 'mesh' && !offNow[i])
      .map(([i, d]) => [i, d, d.endpoint.toUpperCase()] as const)
      .sort(([, , a], [, , b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [i, d] of meshPosts) results[i] = await sendOverMesh(tx, deps.messaging, d, now);
    const delivered: number[] = [];
    const failed: FailedAttempt[] = [];
    for (const [i, d] of due.entries()) {
      const result = results[i]!;
      if (result.ok) {
        delivered.push(d.id);
        done.push({ delivery: d, owners: d.subscriptionIds.map((id) => subs.get(id)?.owner).filter((o): o is string => o !== undefined) });
        continue;
      }
      // A webhook whose subscription was deleted has nowhere to go: dead at once (replayable if it comes back).
      // So has one whose subscription a replace made a MESH one, and any whose subscriptions have all ended or gone.
      const gone = offNow[i]! || (d.channel === 'rest-hook' && d.subscriptionIds.every((id) => subs.get(id)?.webhook === undefined));
      const retryInMs = retryDelayMs(d.attempts + 1, deps.config.baseBackoffMs, deps.config.maxBackoffMs, Math.random());
      failed.push({ id: d.id, retryInMs, error: result.error, deadNow: gone });
    }
    const statuses = await markFailed(tx, failed);
    for (const d of due) {
      const status = statuses.get(d.id);
      if (status) deps.metrics?.attempt(d.channel, status === 'dead' ? 'dead' : 'retry');
    }
    // Audited before the round commits, so a delivery marked delivered always has its record: the
    // records go to the writer together and share its group commits. If they cannot be written the
    // round rolls back and is sent again later, under the same idempotency keys, and audited then.
    await auditDeliveries(deps, done);
    await markDelivered(tx, delivered);
    return due.length;
  });
  for (const { delivery } of done) {
    deps.metrics?.attempt(delivery.channel, 'delivered');
    deps.metrics?.lag(delivery.channel, (deps.now().getTime() - delivery.eventTime.getTime()) / 1000);
  }
  return claimed;
}

/** At most this many deliveries in one audit record (a round's to one recipient are one record). */
const DELIVERIES_PER_AUDIT_RECORD = 100;

/**
 * Delivering an event about a patient discloses it: an access in the audit trail. A round's
 * deliveries to one recipient (one subscription's webhook, or one MESH mailbox, for one owning
 * application) are one record naming every patient and listing each delivery (its id, event,
 * patient and attempt), rather than a record apiece: the trail says who received what about whom
 * as fully, in far fewer records when many deliveries go to one recipient (a twentieth or less in
 * the events bench, whose rounds send 200-500 deliveries to 10 subscriptions).
 */
async function auditDeliveries(deps: RelayDeps, done: ReadonlyArray<{ delivery: DueDelivery; owners: string[] }>): Promise<void> {
  const groups = new Map<string, { resource: string; owner: string | undefined; channel: DueDelivery['channel']; subscriptions: Set<string>; deliveries: DueDelivery[] }>();
  for (const { delivery, owners } of done) {
    if (!delivery.nhsNumber) continue;
    const resource = delivery.channel === 'mesh' ? `MESH/${delivery.endpoint}` : `Subscription/${delivery.subscriptionIds[0]}`;
    const key = `${resource}|${owners[0] ?? ''}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = { resource, owner: owners[0], channel: delivery.channel, subscriptions: new Set(), deliveries: [] });
    for (const id of delivery.subscriptionIds) group.subscriptions.add(id);
    group.deliveries.push(delivery);
  }
  const records: Array<Promise<void>> = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.deliveries.length; i += DELIVERIES_PER_AUDIT_RECORD) {
      const deliveries = group.deliveries.slice(i, i + DELIVERIES_PER_AUDIT_RECORD);
      records.push(deps.audit.record({
        requestId: `event-delivery-${deliveries[0]!.id}`, action: 'event.deliver', resource: group.resource,
        nhsNumbers: [...new Set(deliveries.map((d) => d.nhsNumber!))], outcome: 'success', appId: group.owner,
        // Keys in sorted order: the chain hashes them so, and need not re-sort what already is.
        detail: {
          channel: group.channel,
          deliveries: deliveries.map((d) => ({ attempts: d.attempts + 1, eventId: d.eventId, eventType: d.eventType, id: d.id, nhsNumber: d.nhsNumber })),
          subscriptions: [...group.subscriptions],
        },
      }));
    }
  }
  await Promise.all(records);
}

/** The relay's loops: routing, two delivery loops (a slow webhook holds up only one), and hourly pruning. */
export function startRelay(deps: RelayDeps): BackgroundWorker {
  let running = true;
  const sleeps = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    // A round that was running when stop() woke the sleepers must not start a new sleep.
    if (!running) {
      resolve();
      return;
    }
    const timer = setTimeout(() => { sleeps.delete(wake); resolve(); }, ms);
    const wake = () => { clearTimeout(timer); resolve(); };
    sleeps.add(wake);
  });
  const loop = async (name: string, round: () => Promise<number>, idleMs: number) => {
    while (running) {
      try {
        const n = await round();
        if (n === 0) await sleep(idleMs);
      } catch (err) {
        if (running) deps.log.warn({ err, loop: name }, 'event relay round failed; retrying');
        await sleep(Math.max(idleMs, 1_000));
      }
    }
  };
  const webhooks = new WebhookClient(deps.config.webhookTimeoutMs, deps.webhookReach);
  const cursor = new RoutingCursor();
  const loops = [
    loop('route', () => routeRound(deps, cursor), deps.config.pollMs),
    loop('deliver', () => deliverRound(deps, webhooks), deps.config.pollMs),
    loop('deliver', () => deliverRound(deps, webhooks), deps.config.pollMs),
    loop('prune', async () => {
      const pruned = await pruneDelivered(deps.db, deps.config.retentionMs);
      return 0 * (pruned.outbox + pruned.deliveries);
    }, 60 * 60_000),
  ];
  return {
    async stop() {
      running = false;
      for (const wake of sleeps) wake();
      await Promise.all(loops);
      await webhooks.close();
    },
  };
}
