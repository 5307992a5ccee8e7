import type { FastifyRequest } from 'fastify';
import { auditContext } from '../../platform/audit/entry.js';
import type { PlatformContext } from '../../platform/service.js';

/** The events service's audit vocabulary: subscription create, read, list, delete; publish; replay. */
export type EventsAction =
  | 'subscription.create' | 'subscription.read' | 'subscription.list' | 'subscription.delete' | 'subscription.update'
  | 'event.publish' | 'delivery.list' | 'delivery.replay';

/** Awaited before the response: the answer leaves once its audit record is durable. */
export async function auditEvents(ctx: PlatformContext, request: FastifyRequest, entry: {
  action: EventsAction; resource?: string; nhsNumbers?: string[]; detail?: Record<string, unknown>;
}) {
  await ctx.audit.record({
    ...auditContext(request),
    action: entry.action,
    resource: entry.resource,
    nhsNumbers: entry.nhsNumbers ?? [],
    outcome: 'success',
    detail: entry.detail,
  });
}
