import { randomUUID } from 'node:crypto';
import { SpineError } from '../../../platform/http/errors.js';
import { clipForDiagnostics as clip } from '../../../platform/http/validation-failure.js';
import type { Principal } from '../../../platform/auth/activities.js';
import type { PlatformContext } from '../../../platform/service.js';
import { demographicsApi } from '../../demographics/api.js';
import { NDOP_ERRORS } from '../errors.js';
import { checkConsentProfile, NDOP_PROFILE, type ConsentBody, type OptOut } from '../domain/consent-profile.js';
import { findConsentById, insertConsent, replaceConsent, type ConsentRow, type SetBy } from '../store.js';

/** Create and update of the opt-out flag: the NDOP-Consent-1 profile, then one transaction. */

export interface Written {
  row: ConsentRow;
  optOut: OptOut;
}

function profiled(body: ConsentBody): OptOut {
  const checked = checkConsentProfile(body);
  if (!checked.ok) throw new SpineError(NDOP_ERRORS.INVALID_RESOURCE, checked.problem);
  return checked.value;
}

/** consent_patient.md: the NHS number must come from a PDS trace, so it must name a current PDS record. */
async function assertTraced(ctx: PlatformContext, nhsNumber: string): Promise<void> {
  const found = await demographicsApi(ctx.db).lookupPatient(nhsNumber);
  if (found.status === 'active' && found.nhsNumber === nhsNumber) return;
  const why = found.status === 'active' ? `has been superseded by ${found.nhsNumber}` : 'is not a current PDS record';
  throw new SpineError(NDOP_ERRORS.INVALID_RESOURCE, `Consent.patient: NHS number ${nhsNumber} ${why}`);
}

export const setByOf = (principal: Principal | undefined): SetBy => ({
  accessMode: principal?.accessMode, appId: principal?.appId, appName: principal?.appName, odsCode: principal?.odsCode,
  userId: principal?.userId, roleProfileId: principal?.roleProfileId, roleCode: principal?.roleCode,
});

/** The stored resource: the client's, with the server's id and meta (id and meta first, as FHIR JSON reads). */
function stored(body: ConsentBody, id: string, versionId: string, lastUpdated: Date): Record<string, unknown> {
  const { resourceType, id: _ignored, meta, ...rest } = body;
  return {
    resourceType,
    id,
    meta: { versionId, lastUpdated: lastUpdated.toISOString(), profile: [NDOP_PROFILE] },
    ...rest,
  };
}

export async function createConsent(ctx: PlatformContext, body: ConsentBody, principal: Principal | undefined): Promise<Written> {
  // build_consent_restful.md §2: the id is the server's to assign.
  if (body.id !== undefined) {
    throw new SpineError(NDOP_ERRORS.MSG_RESOURCE_ID_FAIL, 'An attempted has been made to create a new consent record that includes an id.');
  }
  const optOut = profiled(body);
  await assertTraced(ctx, optOut.nhsNumber);
  const id = randomUUID();
  const versionId = randomUUID();
  const lastUpdated = ctx.clock.now();
  const resource = stored(body, id, versionId, lastUpdated);
  const created = await insertConsent(ctx.db, { id, versionNo: 1, versionId, optOut, resource, lastUpdated, setBy: setByOf(principal) });
  if (!created) {
    throw new SpineError(NDOP_ERRORS.DUPLICATE_REJECTED, `A Consent already exists for patient ${optOut.nhsNumber} with this policy and purpose: search for it and update it by its id`);
  }
  return { row: { nhsNumber: optOut.nhsNumber, id, versionNo: 1, versionId, resource }, optOut };
}

export async function updateConsent(ctx: PlatformContext, id: string, body: ConsentBody, principal: Principal | undefined): Promise<Written> {
  if (body.id !== id) {
    throw new SpineError(NDOP_ERRORS.BAD_REQUEST, body.id === undefined
      ? 'Consent.id is required in an update and must be the logical id in the URL'
      : `Consent.id '${clip(String(body.id))}' does not match the logical id in the URL '${clip(id)}'`);
  }
  const optOut = profiled(body);
  return ctx.db.tx(async (tx) => {
    const current = await findConsentById(tx, id, true);
    if (!current) throw new SpineError(NDOP_ERRORS.NO_RECORD_FOUND, `No Consent with id ${id}`);
    if (current.nhsNumber !== optOut.nhsNumber) {
      throw new SpineError(NDOP_ERRORS.INVALID_RESOURCE, `Consent.patient cannot change: Consent ${id} belongs to ${current.nhsNumber}`);
    }
    const policy = (current.resource.policy as Array<{ uri?: string }> | undefined)?.[0]?.uri;
    if (policy !== optOut.policyUri) throw new SpineError(NDOP_ERRORS.INVALID_RESOURCE, `Consent.policy.uri cannot change: Consent ${id} is for ${policy}`);
    const versionId = randomUUID();
    const lastUpdated = ctx.clock.now();
    // The logical id as the server assigned it (the URL named it exactly: ids are case-sensitive), never changed.
    const resource = stored(body, current.id, versionId, lastUpdated);
    const versionNo = current.versionNo + 1;
    await replaceConsent(tx, { id: current.id, versionNo, versionId, optOut, resource, lastUpdated, setBy: setByOf(principal) });
    return { row: { nhsNumber: optOut.nhsNumber, id: current.id, versionNo, versionId, resource }, optOut };
  });
}
