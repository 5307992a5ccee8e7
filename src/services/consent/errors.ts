import { randomUUID } from 'node:crypto';
import { defineErrors, type ErrorSpec } from '../../platform/http/errors.js';

/**
 * NDOP's errors: `Spine-OperationOutcome-1` coded in the STU3 Spine-ErrorOrWarningCode-1 code system
 * (spec/nhs/opt-out/fhir/CodeSystems). The create table of `build_consent_restful.md` gives the 405
 * and 422 word for word; the update section gives 400 (parse or basic FHIR validation), 404 and 422
 * (profile or business rule), for which the code system's codes and displays are used.
 */
export const NDOP_ERROR_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1';
export const SPINE_OPERATION_OUTCOME = 'https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1';

const error = (status: number, code: string, display: string, issueCode: string): ErrorSpec =>
  ({ status, code, display, issueCode, system: NDOP_ERROR_SYSTEM });

export const NDOP_ERRORS = defineErrors({
  MSG_RESOURCE_ID_FAIL: error(405, 'MSG_RESOURCE_ID_FAIL', 'Client is not permitted to assign an id', 'forbidden'),
  DUPLICATE_REJECTED: error(422, 'DUPLICATE_REJECTED', 'Consent already exists for this patient/policy/purpose', 'duplicate'),
  /** The proposed resource breaks the NDOP-Consent-1 profile or a business rule (422). */
  INVALID_RESOURCE: error(422, 'INVALID_RESOURCE', 'Invalid validation of resource', 'invalid'),
  /** Parse or basic FHIR validation failures (400). */
  MESSAGE_NOT_WELL_FORMED: error(400, 'MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'invalid'),
  INVALID_VALUE: error(400, 'INVALID_VALUE', 'An input field has an invalid value for its type', 'value'),
  BAD_REQUEST: error(400, 'BAD_REQUEST', 'Bad request', 'invalid'),
  INVALID_PARAMETER: error(400, 'INVALID_PARAMETER', 'Invalid parameter', 'invalid'),
  INVALID_NHS_NUMBER: error(400, 'INVALID_NHS_NUMBER', 'Invalid NHS number', 'value'),
  MISSING_OR_INVALID_HEADER: error(400, 'MISSING_OR_INVALID_HEADER', 'There is a required header missing or invalid', 'invalid'),
  NO_RECORD_FOUND: error(404, 'NO_RECORD_FOUND', 'No record found', 'not-found'),
  UNAUTHENTICATED: error(401, 'ACCESS DENIED', 'Access has been denied to process this request', 'forbidden'),
  ACCESS_DENIED: error(403, 'ACCESS DENIED', 'Access has been denied to process this request', 'forbidden'),
  UNSUPPORTED_MEDIA_TYPE: error(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'not-supported'),
  MESSAGE_TOO_LARGE: error(413, 'MESSAGE_NOT_WELL_FORMED', 'Message not well formed', 'too-long'),
  TOO_MANY_REQUESTS: error(429, 'ACCESS DENIED', 'Access has been denied to process this request', 'throttled'),
  NOT_IMPLEMENTED: error(405, 'NOT_IMPLEMENTED', 'Not implemented', 'not-supported'),
  SERVICE_UNAVAILABLE: error(503, 'INTERNAL_SERVER_ERROR', 'Unexpected internal server error', 'transient'),
  INTERNAL_SERVER_ERROR: error(500, 'INTERNAL_SERVER_ERROR', 'Unexpected internal server error', 'exception'),
});

/** The platform's catalogue entries (guard, door, body parsers, faults) in NDOP's codes. */
export function inNdopCoding(spec: ErrorSpec): ErrorSpec {
  if (spec.system === NDOP_ERROR_SYSTEM) return spec;
  switch (spec.code) {
    case 'ACCESS_DENIED': return spec.status === 401 ? NDOP_ERRORS.UNAUTHENTICATED : NDOP_ERRORS.ACCESS_DENIED;
    case 'MESSAGE_NOT_WELL_FORMED': return NDOP_ERRORS.MESSAGE_NOT_WELL_FORMED;
    case 'INVALID_VALUE': case 'MISSING_VALUE': return NDOP_ERRORS.INVALID_VALUE;
    case 'UNSUPPORTED_MEDIA_TYPE': return NDOP_ERRORS.UNSUPPORTED_MEDIA_TYPE;
    case 'MESSAGE_TOO_LARGE': return NDOP_ERRORS.MESSAGE_TOO_LARGE;
    case 'TOO_MANY_REQUESTS': return NDOP_ERRORS.TOO_MANY_REQUESTS;
    case 'SERVICE_UNAVAILABLE': return NDOP_ERRORS.SERVICE_UNAVAILABLE;
    case 'RESOURCE_NOT_FOUND': return NDOP_ERRORS.NO_RECORD_FOUND;
    default: return spec.status >= 500 ? NDOP_ERRORS.INTERNAL_SERVER_ERROR : { ...spec, system: NDOP_ERROR_SYSTEM };
  }
}

/** `Spine-OperationOutcome-1` as `Examples/Spine-OperationOutcome-1-Example-1.json` shows it. */
export function spineOperationOutcome(spec: ErrorSpec, diagnostics?: string) {
  return {
    resourceType: 'OperationOutcome',
    id: randomUUID(),
    meta: { profile: [SPINE_OPERATION_OUTCOME] },
    issue: [{
      severity: spec.severity ?? 'error',
      code: spec.issueCode,
      details: { coding: [{ system: spec.system ?? NDOP_ERROR_SYSTEM, code: spec.code, display: spec.display }] },
      ...(diagnostics === undefined ? {} : { diagnostics }),
    }],
  };
}
