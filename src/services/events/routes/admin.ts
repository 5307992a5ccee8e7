import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError, PLATFORM_ERRORS } from '../../../platform/http/errors.js';
import { auditEvents } from '../audit.js';
import { listDeliveries, replayDead, type Delivery } from '../store/deliveries.js';
import { replaySubscription, type RelayDeps } from '../relay/relay.js';

const LIST_QUERY = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
    subscription: { type: 'string', format: 'uuid' },
    after: { type: 'integer', minimum: 0, maximum: 9_007_199_254_740_991 },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
  },
  additionalProperties: false,
} as const;

const REPLAY_BODY = {
  type: 'object',
  properties: {
    subscription: { type: 'string', format: 'uuid' },
    ids: { type: 'array', maxItems: 1_000, items: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } },
  },
  additionalProperties: false,
} as const;

const SUBSCRIPTION_REPLAY_BODY = {
  type: 'object',
  required: ['since'],
  properties: { since: { type: 'string', format: 'date-time', maxLength: 40 } },
  additionalProperties: false,
} as const;

const view = (d: Delivery) => ({
  id: d.id, status: d.status, eventId: d.eventId, eventType: d.eventType, channel: d.channel, endpoint: d.endpoint,
  workflowId: d.workflowId, subscriptions: d.subscriptionIds, idempotencyKey: d.idempotencyKey, attempts: d.attempts,
  eventTime: d.eventTime, routedAt: d.routedAt, nextAttemptAt: d.nextAttemptAt, deadAfter: d.deadAfter, deliveredAt: d.deliveredAt,
  lastError: d.lastError, nhsNumber: d.nhsNumber,
});

/**
 * The operator's view of the relay (`/admin/events`): deliveries by status (the dead-letter queue is
 * `?status=dead`), replay of dead-lettered deliveries, and replay of a subscription from a point in
 * time (within the outbox retention).
 */
export async function adminRoutes(app: FastifyInstance, ctx: PlatformContext, relay: RelayDeps) {
  const config = { activity: 'events:admin' as const };
  app.get('/admin/events/deliveries', { schema: { querystring: LIST_QUERY }, config }, async (request, reply) => {
    const q = request.query as { status?: Delivery['status']; subscription?: string; after?: number; limit?: number };
    const rows = await listDeliveries(ctx.db, { status: q.status, subscriptionId: q.subscription, afterId: q.after, limit: q.limit ?? 100 });
    await auditEvents(ctx, request, { action: 'delivery.list', resource: 'Delivery', nhsNumbers: [...new Set(rows.map((r) => r.nhsNumber).filter((n): n is string => !!n))], detail: { status: q.status, returned: rows.length } });
    return reply.type('application/json').send({ deliveries: rows.map(view), next: rows.length ? rows[rows.length - 1]!.id : null });
  });

  app.post('/admin/events/deliveries/$replay', { schema: { body: REPLAY_BODY }, config }, async (request, reply) => {
    const body = request.body as { subscription?: string; ids?: number[] } | undefined;
    // Which dead letters to replay is said, never assumed: a missing or empty body replays nothing.
    if (body?.subscription === undefined && body?.ids === undefined) {
      throw new SpineError(PLATFORM_ERRORS.MISSING_VALUE, 'Say which dead-lettered deliveries to replay: subscription or ids', { expression: ['subscription'] });
    }
    const replayed = await replayDead(ctx.db, { subscriptionId: body.subscription, ids: body.ids }, ctx.config.events.deadLetterAfterMs);
    await auditEvents(ctx, request, { action: 'delivery.replay', resource: 'Delivery', detail: { dead: true, replayed, subscription: body.subscription } });
    return reply.type('application/json').send({ replayed });
  });

  app.post<{ Params: { id: string } }>('/admin/events/subscriptions/:id/$replay', {
    schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, body: SUBSCRIPTION_REPLAY_BODY }, config,
  }, async (request, reply) => {
    const given = (request.body as { since: string }).since;
    const since = new Date(given);
    // RFC 3339's date-time (the schema's format) admits a leap second, 23:59:60, which a Date cannot
    // hold: it is Invalid Date, and was a 500 where the replay or its audit entry used it.
    if (Number.isNaN(since.getTime())) {
      throw new SpineError(PLATFORM_ERRORS.INVALID_VALUE, `Invalid value - '${given}' in field 'since': a date-time with seconds 00 to 59 (a leap second names no instant here)`, { expression: ['since'] });
    }
    const made = await replaySubscription(relay, request.params.id, since);
    if (made === 0 && !(await ctx.db.query('SELECT 1 FROM events.subscriptions WHERE id = $1 AND deleted_at IS NULL', [request.params.id])).rowCount) {
      throw new SpineError(PLATFORM_ERRORS.NOT_FOUND, `No subscription ${request.params.id}`);
    }
    await auditEvents(ctx, request, { action: 'delivery.replay', resource: `Subscription/${request.params.id}`, detail: { since: since.toISOString(), deliveries: made } });
    return reply.type('application/json').send({ replayed: made });
  });
}
