/** NEMS request schemas: EMS-Subscription-1's elements, and the parts of a published event the door checks. */
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });

/**
 * EMS-Subscription-1's `end`, an STU3 instant: seconds 00 to 59 (STU3's pattern has no leap second,
 * and JavaScript's Date cannot hold one). A date-time with second 60 passed the door as RFC 3339
 * allows it, then read as no date, and was refused as an end that "has passed".
 */
const STU3_INSTANT = {
  type: 'string', format: 'date-time', maxLength: 40,
  pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$',
} as const;

export const NEMS_SUBSCRIPTION_BODY = {
  type: 'object',
  required: ['resourceType', 'status', 'contact', 'reason', 'criteria', 'channel'],
  properties: {
    resourceType: { type: 'string', enum: ['Subscription'] },
    id: text(64),
    meta: { type: 'object', properties: { profile: { type: 'array', maxItems: 5, items: text(200) } } },
    status: { type: 'string', enum: ['requested'] },
    contact: {
      type: 'array', minItems: 1, maxItems: 10,
      items: {
        type: 'object', required: ['system', 'value', 'use'],
        properties: { system: { type: 'string', enum: ['url'] }, value: text(300), use: { type: 'string', enum: ['work'] } },
      },
    },
    end: STU3_INSTANT,
    reason: text(1_000),
    criteria: text(2_000),
    channel: {
      type: 'object', required: ['type', 'endpoint'],
      properties: { type: { type: 'string', enum: ['message'] }, endpoint: text(20), payload: text(100) },
    },
  },
} as const;

/**
 * A FHIR dateTime, as Extension-RoutingDemographics-1's birthDateTime is one: a year, year-month,
 * date, or an instant with its zone (no year 0000). Routing reads the age rules from it, in place of
 * the PDS record's birth date, so text that is no date ('abc', '2010-13-45') is refused.
 */
export const FHIR_DATE_TIME = {
  anyOf: [
    { type: 'string', pattern: '^(?!0000)[0-9]{4}(-(0[1-9]|1[0-2]))?$' },
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time', maxLength: 40 },
  ],
} as const;

export const PUBLISHED_EVENT_BODY = {
  type: 'object',
  required: ['resourceType', 'type', 'firstEntry', 'header'],
  properties: {
    resourceType: { type: 'string', enum: ['Bundle'] },
    type: { type: 'string', enum: ['message'] },
    firstEntry: { type: 'string', enum: ['MessageHeader'] },
    header: {
      type: 'object',
      required: ['id', 'eventSystem', 'eventCode', 'messageEventType', 'nhsNumberSystem', 'nhsNumber', 'timestamp', 'sourceContact'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        eventSystem: { type: 'string', enum: ['https://fhir.nhs.uk/STU3/CodeSystem/EventType-1'] },
        eventCode: text(100),
        messageEventType: { type: 'string', enum: ['new', 'update', 'delete'] },
        nhsNumberSystem: { type: 'string', enum: ['https://fhir.nhs.uk/Id/nhs-number'] },
        nhsNumber: { type: 'string', format: 'nhs-number' },
        birthDateTime: FHIR_DATE_TIME,
        timestamp: { type: 'string', format: 'date-time' },
        sourceContact: text(300),
      },
    },
  },
} as const;

export const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
