/**
 * MNS request schemas, from `multicast-notification-service.yaml` (requestBody and
 * `mns-publish-cloudevent.yaml`), widened for OpenSpine's webhook channel (`rest-hook`, any
 * endpoint: the handler checks it per channel). Sizes are bounded so nothing oversized is stored.
 */
const text = (maxLength: number) => ({ type: 'string', maxLength });

export const CORRELATION_HEADERS = {
  type: 'object',
  required: ['x-correlation-id'],
  properties: { 'x-correlation-id': { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const SUBSCRIPTION_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

export const LIST_QUERY = {
  type: 'object',
  // Any text: a cursor that is not one of ours, however long, is get-all-subscriptions' own 400 {errors} (mns.ts).
  properties: { continue_from: { type: 'string' } },
  additionalProperties: false,
} as const;

export const MNS_SUBSCRIPTION_BODY = {
  type: 'object',
  required: ['resourceType', 'status', 'reason', 'criteria', 'channel'],
  properties: {
    resourceType: { type: 'string', enum: ['Subscription'] },
    status: { type: 'string', enum: ['requested'] },
    end: { type: 'string', format: 'date-time', maxLength: 40 },
    reason: text(1_000),
    criteria: { type: 'string', pattern: '^eventType=.*$', maxLength: 2_000 },
    channel: {
      type: 'object',
      required: ['type', 'endpoint', 'payload'],
      properties: {
        type: { type: 'string', enum: ['message', 'rest-hook'] },
        endpoint: text(2_000),
        payload: { type: 'string', enum: ['application/json', 'application/fhir+json'] },
      },
    },
    hydration: {
      type: 'object',
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        headers: { type: 'object', maxProperties: 20, additionalProperties: text(1_000) },
      },
    },
  },
} as const;

const filteringValue = { anyOf: [text(1_000), { type: 'number' }, { type: 'boolean' }, { type: 'array', maxItems: 100, items: { anyOf: [text(1_000), { type: 'number' }, { type: 'boolean' }] } }] };

export const CLOUD_EVENT_BODY = {
  type: 'object',
  required: ['specversion', 'id', 'source', 'type', 'time'],
  properties: {
    specversion: { type: 'string', enum: ['1.0'] },
    id: { type: 'string', minLength: 1, maxLength: 200 },
    source: { type: 'string', minLength: 1, maxLength: 1_000 },
    type: { type: 'string', minLength: 1, maxLength: 200 },
    time: { type: 'string', format: 'date-time', maxLength: 40 },
    subject: { type: 'string', format: 'nhs-number' },
    dataref: { type: 'string', maxLength: 2_000 },
    versionid: { type: 'string', maxLength: 100 },
    filtering: { type: 'object', maxProperties: 50, additionalProperties: filteringValue },
  },
  additionalProperties: false,
} as const;
