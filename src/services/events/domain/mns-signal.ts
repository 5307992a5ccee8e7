import { derivedUuid } from './nems-bundle.js';

/** The CloudEvent (1.0) an event travels as on MNS (`mns-publish-cloudevent.yaml`). */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  dataref?: string;
  versionid?: string;
  filtering?: Record<string, unknown>;
}

/**
 * What a subscriber receives (`channel.payload`): the CloudEvent itself (`application/json`), or the
 * FHIR signal (`application/fhir+json`, `fhirsignal.schema.json`): a `history` Bundle whose first
 * entry is the backport subscription-status Parameters naming the subscription, the event number,
 * its focus (the `dataref`) and the event's type, source and subject.
 */
export function fhirSignal(event: CloudEvent, subscriptionUrl: string, eventNumber: number): Record<string, unknown> {
  const id = derivedUuid(`${event.id}:${subscriptionUrl}`);
  return {
    resourceType: 'Bundle',
    id,
    type: 'history',
    timestamp: event.time,
    entry: [{
      fullUrl: `urn:uuid:${id}`,
      resource: {
        resourceType: 'Parameters',
        meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
        id,
        parameter: [
          { name: 'subscription', valueReference: { reference: subscriptionUrl } },
          { name: 'status', valueCode: 'active' },
          { name: 'type', valueCode: 'event-notification' },
          {
            name: 'notification-event',
            part: [
              { name: 'event-number', valueString: String(eventNumber) },
              { name: 'timestamp', valueInstant: event.time },
              ...(event.dataref ? [{ name: 'focus', valueReference: { reference: event.dataref } }] : []),
            ],
          },
          {
            name: 'additional-context',
            part: [
              { name: 'event-type', valueString: event.type },
              { name: 'source', valueUri: event.source },
              ...(event.subject ? [{ name: 'subject', valueReference: { identifier: { value: event.subject } } }] : []),
              ...(event.versionid ? [{ name: 'version-id', valueString: event.versionid }] : []),
            ],
          },
        ],
      },
      request: { method: 'GET', url: subscriptionUrl },
      response: { status: '200' },
    }],
  };
}
