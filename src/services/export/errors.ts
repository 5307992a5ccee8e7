import { defineErrors } from '../../platform/http/errors.js';

/** Bulk Data errors, in the platform's FHIR R4 OperationOutcome (Spine-ErrorOrWarningCode). */
export const EXPORT_ERRORS = defineErrors({
  INVALID_PARAMETER: { status: 400, code: 'INVALID_PARAMETER', display: 'Invalid parameter', issueCode: 'invalid' },
  PREFER_REQUIRED: { status: 400, code: 'MISSING_OR_INVALID_HEADER', display: 'There is a required header missing or invalid', issueCode: 'invalid' },
  NOT_ACCEPTABLE: { status: 406, code: 'NOT_ACCEPTABLE', display: 'Not acceptable', issueCode: 'not-supported' },
  NO_SUCH_EXPORT: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found' },
  EXPORT_FAILED: { status: 503, code: 'SERVICE_UNAVAILABLE', display: 'Service unavailable', issueCode: 'exception' },
});
