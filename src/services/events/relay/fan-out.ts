import type { NewDelivery } from '../store/deliveries.js';
import type { SubscriptionRow } from '../store/subscriptions.js';
import { nemsWorkflowId } from '../domain/event-types.js';
import { matchesNems, partnerId } from '../domain/matching.js';
import { matchesMnsFilters, type MnsCriteria } from '../domain/mns-criteria.js';
import type { NemsCriteria } from '../domain/nems-criteria.js';
import { fhirSignal } from '../domain/mns-signal.js';
import type { RoutableEvent } from './events-of.js';

/**
 * The deliveries one event makes (pure): NEMS sends one copy per mailbox however many of its
 * subscriptions match, with their `subId|tag` pairs in `Mex-PartnerID`; MNS sends one per
 * subscription, in the payload type it asked for. Each delivery's idempotency key is the event id
 * with the mailbox (NEMS) or the subscription (MNS): the same on every retry and every replay.
 */
export function fanOut(event: RoutableEvent, subscriptions: SubscriptionRow[], subscriptionUrl: (id: string) => string): NewDelivery[] {
  const deliveries: NewDelivery[] = [];
  const orderKey = event.nhsNumber ?? `event:${event.outboxId}`;

  if (event.nems) {
    const { code, xml, facts } = event.nems;
    const byMailbox = new Map<string, SubscriptionRow[]>();
    for (const s of subscriptions) {
      if (s.api !== 'nems' || !matchesNems(s.rule as unknown as NemsCriteria, code, facts, event.time)) continue;
      // Appended in place: a copy at each would be quadratic in one mailbox's subscriptions for the patient.
      const ofMailbox = byMailbox.get(s.mailbox!);
      if (ofMailbox) ofMailbox.push(s);
      else byMailbox.set(s.mailbox!, [s]);
    }
    const workflowId = nemsWorkflowId(code);
    for (const [mailbox, matched] of [...byMailbox.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      deliveries.push(delivery(event, orderKey, {
        eventType: code, destination: `mesh:${mailbox}:${workflowId}`, subscriptionIds: matched.map((s) => s.id),
        channel: 'mesh', endpoint: mailbox, workflowId, partnerId: partnerId(matched), contentType: 'application/fhir+xml',
        body: xml, idempotencyKey: `${event.eventId}:${mailbox}`,
      }));
    }
  }

  if (event.mns) {
    const cloudEvent = event.mns;
    // The CloudEvent's bytes are the same for every subscription that takes it as is: made once.
    let plain: string | undefined;
    for (const s of subscriptions) {
      if (s.api !== 'mns' || !inAudience(event, s)) continue;
      const criteria = s.rule as unknown as MnsCriteria;
      if (criteria.eventType !== cloudEvent.type || !matchesMnsFilters(criteria, cloudEvent.filtering)) continue;
      const fhir = s.payloadType === 'application/fhir+json';
      const body = fhir ? JSON.stringify(fhirSignal(cloudEvent, subscriptionUrl(s.id), event.outboxId)) : (plain ??= JSON.stringify(cloudEvent));
      deliveries.push(delivery(event, orderKey, {
        // A MESH channel's endpoint is `mesh://MAILBOX?workflow_id=WF`: the message goes to the mailbox.
        eventType: cloudEvent.type, subscriptionIds: [s.id], channel: s.channel, endpoint: s.channel === 'mesh' ? s.mailbox! : s.endpoint,
        destination: s.channel === 'mesh' ? `mesh:${s.mailbox}:${s.workflowId}` : `hook:${s.id}`,
        workflowId: s.workflowId, partnerId: undefined, contentType: fhir ? 'application/fhir+json' : 'application/json', body,
        idempotencyKey: `${event.eventId}:${s.id}`,
      }));
    }
  }
  return deliveries;
}

type ToDestination = Pick<NewDelivery, 'eventType' | 'destination' | 'subscriptionIds' | 'channel' | 'endpoint' | 'workflowId' | 'partnerId'
  | 'contentType' | 'body' | 'idempotencyKey'>;

/**
 * One delivery, every field written out in one order: an object spread (`{ ...common, … }`)
 * followed by ten more properties made V8 build each delivery the slow way, about a hundred times
 * dearer (measured), and every later read of it slower too.
 */
const delivery = (event: RoutableEvent, orderKey: string, to: ToDestination): NewDelivery => ({
  outboxId: event.outboxId, eventId: event.eventId, eventTime: event.time, orderKey, nhsNumber: event.nhsNumber, eventType: to.eventType,
  destination: to.destination, subscriptionIds: to.subscriptionIds, channel: to.channel, endpoint: to.endpoint, workflowId: to.workflowId,
  partnerId: to.partnerId, contentType: to.contentType, body: to.body, idempotencyKey: to.idempotencyKey,
});

/** An event meant for some organisations only reaches subscriptions they own (see `RoutableEvent.audienceOds`). */
const inAudience = (event: RoutableEvent, s: SubscriptionRow) =>
  event.audienceOds === undefined || (s.ownerOds !== undefined && event.audienceOds.includes(s.ownerOds.toUpperCase()));

/** The event codes an event can be subscribed to by (for the candidate query). */
export const codesOf = (event: RoutableEvent): string[] => [event.nems?.code, event.mns?.type].filter((c): c is string => c !== undefined);
