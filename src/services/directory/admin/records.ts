import type { MeshMailbox, MeshWorkflow, Organisation } from '../api.js';
import { InvalidFieldError } from '../fields.js';
import { normalisePostcode } from '../domain/postcode-areas.js';
import type { AccreditedSystem, MhsEndpoint, ReliabilityConfiguration } from '../sds/model.js';
import type { AccreditedSystemInput, MailboxInput, MhsEndpointInput, OrganisationInput, WorkflowInput } from './schemas.js';

/**
 * Admin API request bodies, already checked against their route schemas at the door
 * (`schemas.ts`: types, required and unknown fields, identifier shapes), made into directory
 * records: identifiers upper-cased, defaults filled, and the rules a schema cannot state checked,
 * each an InvalidFieldError naming the field. Pure.
 */

const upper = (s: string) => s.toUpperCase();

/** A field the path already names may be repeated in the body, but must then agree (in any case). */
function samePathValue(key: string, fromBody: string | undefined, fromPath: string | undefined, normalise: (s: string) => string = (s) => s) {
  if (fromPath === undefined || fromBody === undefined) return;
  if (normalise(fromBody) !== normalise(fromPath)) {
    throw new InvalidFieldError(key, 'invalid', `'${key}' in the body must match the ${fromPath} in the path`);
  }
}

/** The identifier from the path (PUT) or the body (POST, where the schema requires it). */
function identifier(key: string, fromBody: string | undefined, fromPath: string | undefined): string {
  const value = fromPath ?? fromBody;
  if (value === undefined) throw new InvalidFieldError(key, 'missing', `'${key}' is required`);
  return value;
}

export function organisationFromBody(body: OrganisationInput, odsCodeFromPath?: string): Organisation {
  samePathValue('odsCode', body.odsCode, odsCodeFromPath, upper);
  const odsCode = upper(identifier('odsCode', body.odsCode, odsCodeFromPath));
  const parentOdsCode = body.parentOdsCode === undefined ? undefined : upper(body.parentOdsCode);
  if (parentOdsCode === odsCode) throw new InvalidFieldError('parentOdsCode', 'invalid', `'parentOdsCode' cannot be the organisation itself`);
  return {
    odsCode,
    name: body.name.trim(),
    role: body.role,
    ...(parentOdsCode ? { parentOdsCode } : {}),
    active: body.active ?? true,
    ...(body.postcode ? { postcode: standardPostcode(body.postcode) } : {}),
  };
}

/** Stored and shown in the standard form (`LS1 6AE`), whichever spelling was sent (`ls16ae`). */
function standardPostcode(value: string): string {
  const postcode = normalisePostcode(value);
  if (!postcode) throw new InvalidFieldError('postcode', 'invalid', `'postcode' ${JSON.stringify(value)} is not a UK postcode`);
  return postcode;
}

/** `existingPassword` lets an update leave the password out and keep the current one. */
export function mailboxFromBody(body: MailboxInput, mailboxIdFromPath?: string, existingPassword?: string): MeshMailbox {
  samePathValue('mailboxId', body.mailboxId, mailboxIdFromPath, upper);
  const password = body.password ?? existingPassword;
  // A PUT that creates the mailbox must give it a password.
  if (password === undefined) throw new InvalidFieldError('password', 'missing', `'password' is required`);
  const odsCode = upper(body.odsCode);
  return {
    mailboxId: upper(identifier('mailboxId', body.mailboxId, mailboxIdFromPath)),
    mailboxName: body.mailboxName,
    odsCode,
    orgCode: body.orgCode === undefined ? odsCode : upper(body.orgCode),
    ...(body.billingEntity ? { billingEntity: body.billingEntity } : {}),
    password,
    active: body.active ?? true,
  };
}

export function workflowFromBody(body: WorkflowInput, workflowIdFromPath?: string): MeshWorkflow {
  samePathValue('workflowId', body.workflowId, workflowIdFromPath);
  return {
    workflowId: identifier('workflowId', body.workflowId, workflowIdFromPath),
    senders: [...new Set(body.senders.map(upper))],
    receivers: [...new Set(body.receivers.map(upper))],
  };
}

export function accreditedSystemFromBody(body: AccreditedSystemInput, id: string): AccreditedSystem {
  samePathValue('id', body.id, id, upper);
  return {
    id,
    asid: body.asid,
    partyKey: upper(body.partyKey),
    ownerOdsCode: upper(body.ownerOdsCode),
    ...(body.manufacturingOdsCode ? { manufacturingOdsCode: upper(body.manufacturingOdsCode) } : {}),
    interactions: [...new Set(body.interactions)],
  };
}

export function mhsEndpointFromBody(body: MhsEndpointInput, id: string): MhsEndpoint {
  samePathValue('id', body.id, id, upper);
  const reliability: ReliabilityConfiguration = { ...body.reliability };
  return {
    id,
    partyKey: upper(body.partyKey),
    managingOdsCode: upper(body.managingOdsCode),
    address: httpAddress(body.address),
    fqdn: body.fqdn,
    cpaId: body.cpaId,
    mhsId: body.mhsId ?? body.cpaId,
    status: 'active',
    interactions: [...new Set(body.interactions)],
    ...(Object.keys(reliability).length > 0 ? { reliability } : {}),
  };
}

function httpAddress(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidFieldError('address', 'invalid', `'address' must be an absolute URL, not ${JSON.stringify(value.slice(0, 60))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidFieldError('address', 'invalid', `'address' must be an http(s) URL`);
  }
  return value;
}
