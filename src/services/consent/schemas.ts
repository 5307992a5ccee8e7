/**
 * What the Consent API accepts at the door (platform validation.ts): the shape of an STU3 `Consent`
 * in JSON, types only, so a body that is not a Consent is 400 (the update section's "parse or basic
 * FHIR validation"). The NDOP-Consent-1 profile and business rules are the domain's
 * (`domain/consent-profile.ts`), answered 422 as the spec says.
 */
const text = (maxLength = 1024) => ({ type: 'string', minLength: 1, maxLength });
const comments = { fhir_comments: { type: 'array', maxItems: 16, items: text(4096) } };
/**
 * Every element is closed: the members STU3 gives it, its `id`, comments and primitive extensions
 * (`_code`), and nothing else. Open, a member of any name at any depth was stored with the opt-out
 * and served back in every read (up to the 5 MB body limit, at each version).
 */
const simpleExtension = {
  type: 'object',
  required: ['url'],
  properties: {
    url: text(), id: text(64), valueString: text(), valueCode: text(64), valueUri: text(), valueBoolean: { type: 'boolean' }, valueDateTime: text(64), ...comments,
  },
  additionalProperties: false,
};
const primitiveExtension = {
  type: 'object',
  properties: { id: text(64), extension: { type: 'array', maxItems: 16, items: simpleExtension }, ...comments },
  additionalProperties: false,
};
const element = (properties: Record<string, unknown>, required?: string[]) => ({
  type: 'object',
  ...(required ? { required } : {}),
  properties: { id: text(64), ...properties, ...comments },
  patternProperties: { '^_[a-zA-Z]+$': primitiveExtension },
  additionalProperties: false,
});
const coding = element({ system: text(), version: text(), code: text(), display: text(), userSelected: { type: 'boolean' } });
const codeableConcept = element({ coding: { type: 'array', maxItems: 16, items: coding }, text: text() });
const identifier = element({ use: text(32), system: text(), value: text() });
const reference = element({ reference: text(), display: text(), identifier });
const extension = element({
  url: text(), valueCodeableConcept: codeableConcept, valueCoding: coding, valueString: text(), valueCode: text(64), valueUri: text(),
  valueBoolean: { type: 'boolean' }, valueDateTime: text(64), valueReference: reference, valueIdentifier: identifier,
}, ['url']);
const anyElement = { type: ['object', 'array', 'string', 'number', 'boolean'] };

export const CONSENT_BODY = {
  type: 'object',
  required: ['resourceType'],
  properties: {
    resourceType: { type: 'string', const: 'Consent' },
    id: { type: 'string', pattern: '^[A-Za-z0-9\\-\\.]{1,64}$' },
    meta: element({
      versionId: text(64), lastUpdated: text(64),
      profile: { type: 'array', maxItems: 8, items: text() },
      security: { type: 'array', maxItems: 8, items: coding },
      tag: { type: 'array', maxItems: 8, items: coding },
    }),
    implicitRules: text(), language: text(64),
    text: element({ status: text(32), div: text(65536) }),
    extension: { type: 'array', maxItems: 16, items: extension },
    modifierExtension: { type: 'array', maxItems: 16, items: extension },
    identifier,
    status: text(32),
    category: { type: 'array', maxItems: 8, items: codeableConcept },
    patient: reference,
    dateTime: text(64),
    consentingParty: { type: 'array', maxItems: 8, items: reference },
    organization: { type: 'array', maxItems: 8, items: reference },
    policy: { type: 'array', maxItems: 8, items: element({ authority: text(), uri: text() }) },
    purpose: { type: 'array', maxItems: 8, items: coding },
    // STU3: a list of resources. NDOP-Consent-1 allows it, but its every reference is an absolute URL,
    // so a contained resource could never be referenced (dom-3): the profile refuses one (422).
    contained: { type: 'array', maxItems: 8, items: { type: 'object', required: ['resourceType'], properties: { resourceType: text(64) } } },
    // Elements of STU3 Consent that NDOP-Consent-1 forbids (0..0): parsed here, refused by the profile.
    period: anyElement, actor: anyElement, action: anyElement, sourceAttachment: anyElement,
    sourceIdentifier: anyElement, sourceReference: anyElement, policyRule: anyElement, securityLabel: anyElement,
    dataPeriod: anyElement, data: anyElement, except: anyElement,
    ...comments,
  },
  // FHIR JSON primitive extensions (`_status`) and comments are allowed; nothing else unknown.
  patternProperties: { '^_[a-zA-Z]+$': primitiveExtension },
  additionalProperties: false,
} as const;

/**
 * A create's body: as an update's, but an `id` of any form reaches the handler, which answers 405
 * MSG_RESOURCE_ID_FAIL (build_consent_restful.md: a client-supplied id, whatever it is), never a
 * 400 for an id that is not a valid one.
 */
export const CONSENT_CREATE_BODY = { ...CONSENT_BODY, properties: { ...CONSENT_BODY.properties, id: {} } } as const;

const patientReference = { type: 'string', minLength: 1, maxLength: 256 };

export const CONSENT_SEARCH_QUERY = {
  type: 'object',
  properties: {
    patient: patientReference,
    _id: { type: 'string', minLength: 1, maxLength: 64 },
    category: { type: 'string', minLength: 1, maxLength: 256 },
    purpose: { type: 'string', minLength: 1, maxLength: 256 },
    _format: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;

export const CONSENT_HISTORY_QUERY = {
  type: 'object',
  required: ['patient'],
  properties: {
    patient: patientReference,
    versionId: { type: 'string', minLength: 1, maxLength: 64 },
    _format: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;

export const CONSENT_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const CONSENT_VREAD_PARAMS = {
  type: 'object',
  required: ['id', 'vid'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 }, vid: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const FORMAT_QUERY = {
  type: 'object',
  properties: { _format: { type: 'string', maxLength: 64 } },
  additionalProperties: false,
} as const;
