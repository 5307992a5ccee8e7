import { defineErrors, SpineError, type ErrorSpec } from '../../platform/http/errors.js';

/**
 * NEMS answers in the STU3 Spine-ErrorOrWarningCode-1 code system (v1.7.0, 45 codes; the NEMS
 * pages map none to HTTP statuses, so the statuses are Spine Core's usual ones). MNS answers in
 * its own small JSON shapes (`mns-errors.ts`); its refusals reuse these entries for their status.
 */
export const NEMS_ERROR_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1';

/** The whole code system, code → display, word for word. */
export const SPINE_STU3_CODES = {
  NO_RECORD_FOUND: 'No record found',
  PATIENT_NOT_FOUND: 'Patient not found',
  INVALID_NHS_NUMBER: 'Invalid NHS number',
  INVALID_CODE_SYSTEM: 'Invalid code system',
  INVALID_CODE_VALUE: 'Invalid code value',
  INVALID_VALUE: 'An input field has an invalid value for its type',
  INVALID_IDENTIFIER_SYSTEM: 'Invalid identifier system',
  INVALID_IDENTIFIER_VALUE: 'Invalid identifier value',
  CONFLICTING_VALUES: 'Conflicting values have been specified in different fields',
  INVALID_ELEMENT: 'Invalid element',
  AUTHOR_CREDENTIALS_ERROR: 'Author credentials error',
  INVALID_PARAMETER: 'Invalid parameter',
  REQUEST_UNMATCHED: 'Request does not match authorisation token',
  MESSAGE_NOT_WELL_FORMED: 'Message not well formed',
  NO_PATIENT_CONSENT: 'Patient has not provided consent to share data',
  NO_ORGANISATIONAL_CONSENT: 'Organisation has not provided consent to share data',
  BAD_REQUEST: 'Bad request',
  INVALID_RESOURCE: 'Invalid validation of resource',
  ORGANISATION_NOT_FOUND: 'Organisation not found',
  PRACTITIONER_NOT_FOUND: 'Practitioner not found',
  PATIENT_SENSITIVE: 'Patient sensitive',
  NO_RELATIONSHIP: 'No legitimate relationship exists with this patient',
  FHIR_CONSTRAINT_VIOLATION: 'FHIR constraint violated',
  FLAG_ALREADY_SET: 'Flag value was already set',
  INVALID_REQUEST_STATE: 'The request exists but is not in an appropriate state for the call to succeed',
  INVALID_REQUEST_TYPE: 'The type of request is not supported by the API call',
  'ACCESS DENIED': 'Access has been denied to process this request',
  ASID_CHECK_FAILED: "The sender or receiver's ASID is not authorised for this interaction",
  MISSING_OR_INVALID_HEADER: 'There is a required header missing or invalid',
  ACCESS_DENIED_SSL: 'SSL Protocol or Cipher requirements not met',
  MSG_RESOURCE_ID_FAIL: 'Client is not permitted to assign an id',
  DUPLICATE_REJECTED: 'Create would lead to creation of a duplicate resource',
  RESOURCE_CREATED: 'New resource created',
  RESOURCE_DELETED: 'Resource removed',
  RESOURCE_UPDATED: 'Resource has been successfully updated',
  INVALID_REQUEST_MESSAGE: 'Invalid request message',
  INTERNAL_SERVER_ERROR: 'Unexpected internal server error',
  INVALID_PATIENT_DEMOGRAPHICS: 'Invalid patient demographics',
  NOT_IMPLEMENTED: 'Not implemented',
  REFERENCE_NOT_FOUND: 'Reference not found',
  DEPRECATED: 'Event message type has been deprecated',
  NO_LONGER_SUPPORTED: 'Event message type is no longer supported',
  WITHDRAWN: 'Event message type has been withdrawn',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  PRECONDITION_FAILED: 'Precondition failed',
} as const;
export type SpineStu3Code = keyof typeof SPINE_STU3_CODES;

const nems = (status: number, code: SpineStu3Code, issueCode: string): ErrorSpec =>
  ({ status, code, display: SPINE_STU3_CODES[code], issueCode, system: NEMS_ERROR_SYSTEM });

export const NEMS_ERRORS = defineErrors({
  INVALID_RESOURCE: nems(422, 'INVALID_RESOURCE', 'invalid'),
  INVALID_PARAMETER: nems(422, 'INVALID_PARAMETER', 'invalid'),
  INVALID_NHS_NUMBER: nems(422, 'INVALID_NHS_NUMBER', 'value'),
  INVALID_IDENTIFIER_SYSTEM: nems(422, 'INVALID_IDENTIFIER_SYSTEM', 'value'),
  INVALID_CODE_VALUE: nems(422, 'INVALID_CODE_VALUE', 'code-invalid'),
  INVALID_VALUE: nems(400, 'INVALID_VALUE', 'value'),
  INVALID_REQUEST_MESSAGE: nems(400, 'INVALID_REQUEST_MESSAGE', 'value'),
  MESSAGE_NOT_WELL_FORMED: nems(400, 'MESSAGE_NOT_WELL_FORMED', 'structure'),
  MSG_RESOURCE_ID_FAIL: nems(400, 'MSG_RESOURCE_ID_FAIL', 'invalid'),
  DUPLICATE_REJECTED: nems(409, 'DUPLICATE_REJECTED', 'duplicate'),
  ORGANISATION_NOT_FOUND: nems(404, 'ORGANISATION_NOT_FOUND', 'not-found'),
  REFERENCE_NOT_FOUND: nems(422, 'REFERENCE_NOT_FOUND', 'not-found'),
  NO_RECORD_FOUND: nems(404, 'NO_RECORD_FOUND', 'not-found'),
  PATIENT_NOT_FOUND: nems(404, 'PATIENT_NOT_FOUND', 'not-found'),
  ACCESS_DENIED: nems(403, 'ACCESS DENIED', 'forbidden'),
  UNAUTHENTICATED: nems(401, 'ACCESS DENIED', 'forbidden'),
  ASID_CHECK_FAILED: nems(403, 'ASID_CHECK_FAILED', 'forbidden'),
  UNSUPPORTED_MEDIA_TYPE: nems(415, 'UNSUPPORTED_MEDIA_TYPE', 'not-supported'),
  MESSAGE_TOO_LARGE: nems(413, 'MESSAGE_NOT_WELL_FORMED', 'too-long'),
  NOT_IMPLEMENTED: nems(501, 'NOT_IMPLEMENTED', 'not-supported'),
  WITHDRAWN: nems(422, 'WITHDRAWN', 'not-supported'),
  TOO_MANY_REQUESTS: nems(429, 'ACCESS DENIED', 'throttled'),
  SERVICE_UNAVAILABLE: nems(503, 'INTERNAL_SERVER_ERROR', 'transient'),
  INTERNAL_SERVER_ERROR: nems(500, 'INTERNAL_SERVER_ERROR', 'exception'),
});

export const nemsError = (spec: ErrorSpec, diagnostics: string) => new SpineError(spec, diagnostics);

/** MNS refusals: the status, and the JSON body MNS answers with (see mns-errors.ts). */
export const MNS_ERRORS = defineErrors({
  VALIDATION: { status: 400, code: 'VALIDATION', display: 'Invalid user input', issueCode: 'invalid' },
  BAD_ID: { status: 400, code: 'BAD_ID', display: 'Please provide a valid subscription ID in UUID4 format', issueCode: 'invalid' },
  BAD_CONTINUE_FROM: { status: 400, code: 'BAD_CONTINUE_FROM', display: 'The continue_from field was not valid', issueCode: 'invalid' },
  NOT_FOUND: { status: 404, code: 'NOT_FOUND', display: 'Not found', issueCode: 'not-found' },
  CONFLICT: { status: 409, code: 'CONFLICT', display: 'Conflict', issueCode: 'conflict' },
  FORBIDDEN_EVENT: { status: 403, code: 'FORBIDDEN', display: 'User is not authorized to handle the requested event type', issueCode: 'forbidden' },
});
