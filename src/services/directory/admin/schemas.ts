import { Type, type Static } from '@sinclair/typebox';
import { ORGANISATION_ROLES } from '../api.js';
import { RELIABILITY_KEYS } from '../sds/model.js';
import { DISPLAY_NAME_PATTERN } from '../fields.js';

/**
 * The directory admin API's route schemas (TypeBox: an OpenSpine API, plain camelCase JSON),
 * checked by the platform's door before any handler runs: wrong types, missing or unknown fields,
 * identifiers of the wrong shape are 400 MISSING_VALUE / INVALID_VALUE naming the field. What a
 * schema cannot say (a field repeated from the path must agree with it, an organisation is not its
 * own parent, an endpoint's address is an http(s) URL, referenced records exist) stays with the
 * handlers and `records.ts`. Identifiers are accepted in any case and stored upper-cased.
 */

// The shapes of fields.ts's identifiers, in either case (they are upper-cased once accepted).
const odsCode = (description: string) => Type.String({ pattern: '^[A-Za-z0-9]{3,10}$', description });
const mailboxId = Type.String({ pattern: '^[A-Za-z0-9]{3,20}$', description: 'MESH mailbox id, e.g. X26ABC1' });
const workflowId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$', description: 'MESH workflow id, e.g. TEST_WORKFLOW' });
const partyKey = Type.String({ pattern: '^[A-Za-z0-9]{1,10}-[0-9]{1,10}$', description: 'MHS party key, <ODS code>-<digits>, e.g. YES-0000806' });
const cpaId = (description: string) => Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description });
const text = (maxLength: number, description?: string) => Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
// A name shown to people: a character that is not a space (names are trimmed or shown as given), no control characters.
const name = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: DISPLAY_NAME_PATTERN, ...(description ? { description } : {}) });
// A value with no space or control character (a URL, an ebXML setting): FHIR strings are never empty, and the URL
// parser that checks an address drops tabs and newlines and trims spaces.
const token = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$', ...(description ? { description } : {}) });
const interactions = Type.Array(Type.String({ pattern: '^urn:[^\\s|]{1,250}$' }), {
  minItems: 1, maxItems: 5000, description: 'Service interaction ids (URNs), e.g. urn:nhs:names:services:psis:REPC_IN150016UK05',
});
const mailboxList = (description: string) => Type.Array(mailboxId, { maxItems: 1000, description });
const closed = { additionalProperties: false } as const;

const organisation = {
  odsCode: odsCode('ODS code of the organisation'),
  name: name(200, "The organisation's name"),
  role: Type.Union(ORGANISATION_ROLES.map((role) => Type.Literal(role))),
  parentOdsCode: Type.Optional(odsCode('ODS code of the parent organisation (not the organisation itself)')),
  active: Type.Optional(Type.Boolean({ description: 'Default true' })),
  postcode: Type.Optional(Type.String({ maxLength: 8, pattern: '^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$', description: 'UK postcode, e.g. LS1 6AE' })),
};
export const OrganisationBody = Type.Object(organisation, closed);
/** In a PUT the path names the record: its identifier may be repeated in the body (it must then agree). */
export const OrganisationPutBody = Type.Object({ ...organisation, odsCode: Type.Optional(organisation.odsCode) }, closed);
export type OrganisationInput = Static<typeof OrganisationPutBody>;

const mailbox = {
  mailboxId,
  mailboxName: name(200),
  odsCode: odsCode('ODS code of the organisation that owns the mailbox'),
  orgCode: Type.Optional(odsCode('Organisation code MESH shows (default: odsCode)')),
  billingEntity: Type.Optional(name(100)),
  password: text(200, 'The mailbox password for NHSMESH authentication (never shown again)'),
  active: Type.Optional(Type.Boolean({ description: 'Default true' })),
};
export const MailboxBody = Type.Object(mailbox, closed);
/** PUT may leave the password out to keep the current one (required when the PUT creates the mailbox). */
export const MailboxPutBody = Type.Object({ ...mailbox, mailboxId: Type.Optional(mailboxId), password: Type.Optional(mailbox.password) }, closed);
export type MailboxInput = Static<typeof MailboxPutBody>;

const workflow = {
  workflowId,
  senders: mailboxList('Mailboxes that may send this workflow'),
  receivers: mailboxList('Mailboxes that may receive this workflow'),
};
export const WorkflowBody = Type.Object(workflow, closed);
export const WorkflowPutBody = Type.Object({ ...workflow, workflowId: Type.Optional(workflowId) }, closed);
export type WorkflowInput = Static<typeof WorkflowPutBody>;

export const AccreditedSystemBody = Type.Object({
  id: Type.Optional(Type.String({ description: 'The id in the path, when repeated' })),
  asid: Type.String({ pattern: '^[0-9]{1,20}$', description: 'Accredited System ID' }),
  partyKey,
  ownerOdsCode: odsCode('ODS code of the organisation that owns the system'),
  manufacturingOdsCode: Type.Optional(odsCode('ODS code of its manufacturer')),
  interactions,
}, closed);
export type AccreditedSystemInput = Static<typeof AccreditedSystemBody>;

const reliability = Type.Object(Object.fromEntries(RELIABILITY_KEYS.map((key) => [key,
  key === 'nhsMHSRetries' ? Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })) : Type.Optional(token(200))])), closed);

export const MhsEndpointBody = Type.Object({
  id: Type.Optional(Type.String({ description: 'The id in the path, when repeated' })),
  partyKey,
  managingOdsCode: odsCode('ODS code of the organisation that manages the endpoint'),
  address: token(500, 'The endpoint\'s http(s) URL'),
  fqdn: Type.String({ maxLength: 253, pattern: '^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$' }),
  cpaId: cpaId('ebXML CPA id'),
  mhsId: Type.Optional(cpaId('MHS id (default: cpaId)')),
  status: Type.Optional(Type.Literal('active', { description: "'active', the only status the SDS gives" })),
  interactions,
  reliability: Type.Optional(reliability),
}, closed);
export type MhsEndpointInput = Static<typeof MhsEndpointBody>;

export const OdsCodeParams = Type.Object({ odsCode: odsCode('ODS code') });
export const MailboxIdParams = Type.Object({ mailboxId });
export const WorkflowIdParams = Type.Object({ workflowId });
export const RecordIdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'The id the directory gave the record' }) });

/** `limit` (1–1000, default 100) and `offset` (default 0) of every list; filters per list. Other parameters are ignored. */
const page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Default 0' })),
};
export const PageQuery = Type.Object(page);
export const OrganisationQuery = Type.Object({
  ...page,
  role: Type.Optional(Type.Union(ORGANISATION_ROLES.map((role) => Type.Literal(role)))),
  parentOdsCode: Type.Optional(odsCode('Only the children of this organisation')),
});
export const MailboxQuery = Type.Object({ ...page, odsCode: Type.Optional(odsCode('Only the mailboxes of this organisation')) });
export const DeviceQuery = Type.Object({ ...page, ownerOdsCode: Type.Optional(odsCode('Only the systems this organisation owns')) });
export const EndpointQuery = Type.Object({ ...page, managingOdsCode: Type.Optional(odsCode('Only the endpoints this organisation manages')) });

/** Postcode areas (NEMS's postcode rules): `/admin/directory/postcode-areas/{kind}/{odsCode}`. */
export const PostcodeAreaParams = Type.Object({
  kind: Type.Union([Type.Literal('icb-sub-location'), Type.Literal('local-authority')], { description: 'icb-sub-location (CHO_POSTCODE_CCG) or local-authority (UHV_POSTCODE_LACODE)' }),
  odsCode: odsCode('The ICB sub location\'s ODS code (e.g. 15F) or the local authority\'s code (e.g. E08000035)'),
});
export const PostcodeAreaBody = Type.Object({
  prefixes: Type.Array(Type.String({ minLength: 1, maxLength: 8, pattern: '^[A-Za-z0-9 ]+$' }), {
    maxItems: 20_000, description: 'Postcode prefixes it is responsible for: areas (LS), districts (LS1), sectors (LS1 6) or postcodes (LS1 6AE); replaces what it had',
  }),
}, closed);
export const PostcodeQuery = Type.Object({
  postcode: Type.String({ minLength: 5, maxLength: 8, pattern: '^[A-Za-z0-9 ]+$', description: 'A UK postcode, e.g. LS1 6AE' }),
});
