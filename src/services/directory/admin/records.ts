import { ORGANISATION_ROLES, type MeshMailbox, type MeshWorkflow, type Organisation, type OrganisationRole } from '../api.js';
import {
  ASID, InvalidFieldError, MAILBOX_ID, ODS_CODE, PARTY_KEY, WORKFLOW_ID, asObject, optionalBoolean, optionalInteger,
  optionalString, requiredString, stringList, type JsonObject,
} from '../fields.js';
import { RELIABILITY_KEYS, type AccreditedSystem, type MhsEndpoint, type ReliabilityConfiguration } from '../sds/model.js';

/**
 * Admin API request bodies (camelCase JSON) read into directory records. Pure: every problem is an
 * InvalidFieldError naming the field; unknown fields are refused so a typo never silently drops data.
 */

const upper = (s: string) => s.toUpperCase();
/** UK postcode shape, e.g. SE1 7EH or DL146AA (upper-cased first). */
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/;
/** Service interaction ids are URNs, e.g. urn:nhs:names:services:psis:REPC_IN150016UK05. */
const INTERACTION_ID = /^urn:[^\s|]{1,250}$/;
const FQDN = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const CPA_ID = /^[A-Za-z0-9_-]{1,64}$/;

function onlyFields(obj: JsonObject, allowed: readonly string[], what: string) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new InvalidFieldError(key, 'invalid', `'${key}' is not a field of ${what}; expected some of: ${allowed.join(', ')}`);
    }
  }
}

/** A field the path already names may be repeated in the body, but must then agree. */
function samePathValue(obj: JsonObject, key: string, fromPath: string | undefined, normalise: (s: string) => string = (s) => s) {
  if (fromPath === undefined || obj[key] === undefined) return;
  if (typeof obj[key] !== 'string' || normalise(obj[key] as string) !== normalise(fromPath)) {
    throw new InvalidFieldError(key, 'invalid', `'${key}' in the body must match the ${fromPath} in the path`);
  }
}

export function organisationFromBody(body: unknown, odsCodeFromPath?: string): Organisation {
  const obj = asObject(body, 'An organisation');
  onlyFields(obj, ['odsCode', 'name', 'role', 'parentOdsCode', 'active', 'postcode'], 'an organisation');
  samePathValue(obj, 'odsCode', odsCodeFromPath, upper);
  const odsCode = requiredString({ odsCode: odsCodeFromPath ?? obj.odsCode }, 'odsCode', { pattern: ODS_CODE, normalise: upper });
  const role = requiredString(obj, 'role');
  if (!(ORGANISATION_ROLES as readonly string[]).includes(role)) {
    throw new InvalidFieldError('role', 'invalid', `'role' must be one of ${ORGANISATION_ROLES.join(', ')}, not ${JSON.stringify(role)}`);
  }
  const parentOdsCode = optionalString(obj, 'parentOdsCode', { pattern: ODS_CODE, normalise: upper });
  if (parentOdsCode === odsCode) throw new InvalidFieldError('parentOdsCode', 'invalid', `'parentOdsCode' cannot be the organisation itself`);
  const postcode = optionalString(obj, 'postcode', { pattern: POSTCODE, normalise: upper, max: 8 });
  return {
    odsCode,
    name: requiredString(obj, 'name', { max: 200 }).trim(),
    role: role as OrganisationRole,
    ...(parentOdsCode ? { parentOdsCode } : {}),
    active: optionalBoolean(obj, 'active', true),
    ...(postcode ? { postcode } : {}),
  };
}

/** `existingPassword` lets an update leave the password out and keep the current one. */
export function mailboxFromBody(body: unknown, mailboxIdFromPath?: string, existingPassword?: string): MeshMailbox {
  const obj = asObject(body, 'A MESH mailbox');
  onlyFields(obj, ['mailboxId', 'mailboxName', 'odsCode', 'orgCode', 'billingEntity', 'password', 'active'], 'a MESH mailbox');
  samePathValue(obj, 'mailboxId', mailboxIdFromPath, upper);
  const mailboxId = requiredString({ mailboxId: mailboxIdFromPath ?? obj.mailboxId }, 'mailboxId', { pattern: MAILBOX_ID, normalise: upper });
  const odsCode = requiredString(obj, 'odsCode', { pattern: ODS_CODE, normalise: upper });
  const billingEntity = optionalString(obj, 'billingEntity', { max: 100 });
  const password = existingPassword !== undefined && obj.password === undefined
    ? existingPassword
    : requiredString(obj, 'password', { max: 200 });
  return {
    mailboxId,
    mailboxName: requiredString(obj, 'mailboxName', { max: 200 }),
    odsCode,
    orgCode: optionalString(obj, 'orgCode', { pattern: ODS_CODE, normalise: upper }) ?? odsCode,
    ...(billingEntity ? { billingEntity } : {}),
    password,
    active: optionalBoolean(obj, 'active', true),
  };
}

export function workflowFromBody(body: unknown, workflowIdFromPath?: string): MeshWorkflow {
  const obj = asObject(body, 'A MESH workflow');
  onlyFields(obj, ['workflowId', 'senders', 'receivers'], 'a MESH workflow');
  samePathValue(obj, 'workflowId', workflowIdFromPath);
  return {
    workflowId: requiredString({ workflowId: workflowIdFromPath ?? obj.workflowId }, 'workflowId', { pattern: WORKFLOW_ID }),
    senders: stringList(obj, 'senders', { pattern: MAILBOX_ID, normalise: upper, required: true, maxItems: 1000 }),
    receivers: stringList(obj, 'receivers', { pattern: MAILBOX_ID, normalise: upper, required: true, maxItems: 1000 }),
  };
}

export function accreditedSystemFromBody(body: unknown, id: string): AccreditedSystem {
  const obj = asObject(body, 'An accredited system');
  onlyFields(obj, ['id', 'asid', 'partyKey', 'ownerOdsCode', 'manufacturingOdsCode', 'interactions'], 'an accredited system');
  samePathValue(obj, 'id', id, upper);
  const manufacturingOdsCode = optionalString(obj, 'manufacturingOdsCode', { pattern: ODS_CODE, normalise: upper });
  return {
    id,
    asid: requiredString(obj, 'asid', { pattern: ASID }),
    partyKey: requiredString(obj, 'partyKey', { pattern: PARTY_KEY, normalise: upper }),
    ownerOdsCode: requiredString(obj, 'ownerOdsCode', { pattern: ODS_CODE, normalise: upper }),
    ...(manufacturingOdsCode ? { manufacturingOdsCode } : {}),
    interactions: nonEmptyInteractions(obj),
  };
}

export function mhsEndpointFromBody(body: unknown, id: string): MhsEndpoint {
  const obj = asObject(body, 'An MHS endpoint');
  onlyFields(obj, ['id', 'partyKey', 'managingOdsCode', 'address', 'fqdn', 'cpaId', 'mhsId', 'status', 'interactions', 'reliability'],
    'an MHS endpoint');
  samePathValue(obj, 'id', id, upper);
  const status = optionalString(obj, 'status');
  if (status !== undefined && status !== 'active') throw new InvalidFieldError('status', 'invalid', `'status' can only be 'active' (SDS spec)`);
  const cpaId = requiredString(obj, 'cpaId', { pattern: CPA_ID });
  const reliability = obj.reliability === undefined || obj.reliability === null ? undefined : reliabilityFrom(obj.reliability);
  return {
    id,
    partyKey: requiredString(obj, 'partyKey', { pattern: PARTY_KEY, normalise: upper }),
    managingOdsCode: requiredString(obj, 'managingOdsCode', { pattern: ODS_CODE, normalise: upper }),
    address: httpsAddress(requiredString(obj, 'address', { max: 500 })),
    fqdn: requiredString(obj, 'fqdn', { pattern: FQDN, max: 253 }),
    cpaId,
    mhsId: optionalString(obj, 'mhsId', { pattern: CPA_ID }) ?? cpaId,
    status: 'active',
    interactions: nonEmptyInteractions(obj),
    ...(reliability ? { reliability } : {}),
  };
}

function nonEmptyInteractions(obj: JsonObject): string[] {
  const interactions = stringList(obj, 'interactions', { pattern: INTERACTION_ID, required: true, maxItems: 5000 });
  if (interactions.length === 0) throw new InvalidFieldError('interactions', 'missing', `'interactions' must name at least one service interaction`);
  return interactions;
}

function httpsAddress(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidFieldError('address', 'invalid', `'address' must be an absolute URL, not ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidFieldError('address', 'invalid', `'address' must be an http(s) URL`);
  }
  return value;
}

function reliabilityFrom(value: unknown): ReliabilityConfiguration {
  const obj = asObject(value, "'reliability'");
  onlyFields(obj, RELIABILITY_KEYS, 'the reliability configuration');
  const result: ReliabilityConfiguration = {};
  for (const key of RELIABILITY_KEYS) {
    if (key === 'nhsMHSRetries') {
      const retries = optionalInteger(obj, key, { min: 0, max: 100 });
      if (retries !== undefined) result.nhsMHSRetries = retries;
    } else {
      const text = optionalString(obj, key, { max: 200 });
      if (text !== undefined) result[key] = text;
    }
  }
  return result;
}
