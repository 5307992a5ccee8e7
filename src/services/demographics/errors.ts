import { defineErrors, type ErrorSpec } from '../../platform/http/errors.js';
import type { Principal } from '../../platform/auth/activities.js';

/**
 * PDS error codes, as in the spec's error tables and `stubs/errorResponses/*.json` (status, issue
 * code, severity and display exactly as NHS England sends them).
 */
export const PDS_ERRORS = defineErrors({
  INVALID_RESOURCE_ID: { status: 400, code: 'INVALID_RESOURCE_ID', display: 'Resource Id is invalid', issueCode: 'value' },
  UNSUPPORTED_SERVICE: { status: 400, code: 'UNSUPPORTED_SERVICE', display: 'Unsupported Service', issueCode: 'processing' },
  MISSING_VALUE: { status: 400, code: 'MISSING_VALUE', display: 'Required value is missing', issueCode: 'required' },
  INVALID_VALUE: { status: 400, code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value' },
  /** 403 INVALID_VALUE: more than one result asked for in application-restricted mode. */
  INVALID_VALUE_FORBIDDEN: { status: 403, code: 'INVALID_VALUE', display: 'Provided value is invalid', issueCode: 'value' },
  INVALID_SEARCH_DATA: { status: 400, code: 'INVALID_SEARCH_DATA', display: 'Search data is invalid', issueCode: 'value' },
  ADDITIONAL_PROPERTIES: { status: 400, code: 'ADDITIONAL_PROPERTIES', display: 'Additional properties should not be included', issueCode: 'invariant' },
  INVALID_UPDATE: { status: 400, code: 'INVALID_UPDATE', display: 'Update is invalid', issueCode: 'structure' },
  INVALID_CREATE: { status: 400, code: 'INVALID_CREATE', display: 'Patient create data is invalid', issueCode: 'value' },
  UNSUPPORTED_VALUE: { status: 400, code: 'UNSUPPORTED_VALUE', display: 'Unsupported value', issueCode: 'value' },
  TOO_FEW_VALUES_SUBMITTED: { status: 400, code: 'TOO_FEW_VALUES_SUBMITTED', display: 'Too few values submitted', issueCode: 'value' },
  TOO_MANY_VALUES_SUBMITTED: { status: 400, code: 'TOO_MANY_VALUES_SUBMITTED', display: 'Too many values submitted', issueCode: 'value' },
  FORBIDDEN_UPDATE: { status: 403, code: 'FORBIDDEN_UPDATE', display: 'Update is forbidden', issueCode: 'forbidden', severity: 'information' },
  RESOURCE_NOT_FOUND: { status: 404, code: 'RESOURCE_NOT_FOUND', display: 'Resource not found', issueCode: 'not-found', severity: 'information' },
  INVALIDATED_RESOURCE: {
    status: 404, code: 'INVALIDATED_RESOURCE', issueCode: 'processing',
    display: 'Resource that has been marked as invalid was requested - invalid resources cannot be retrieved',
  },
  RESOURCE_VERSION_MISMATCH: { status: 409, code: 'RESOURCE_VERSION_MISMATCH', display: 'Resource version supplied does not match actual version', issueCode: 'conflict' },
  PRECONDITION_FAILED: { status: 412, code: 'PRECONDITION_FAILED', display: 'Required condition was not fulfilled', issueCode: 'structure' },
});

/**
 * 403 INVALID_METHOD (`stubs/errorResponses/INVALID_METHOD.json`): a method PDS does not offer this
 * caller, or on this path. Its display names what was refused to which access, in the words of
 * NHS England's PDS test suite: "Cannot create resource with application-restricted access token",
 * "Cannot update resource with Application-Restricted access token" (sic), "Cannot create resource
 * with user-restricted access token" (a POST to a patient's related people), "… with
 * patient-access access token".
 */
export type RefusedAction = 'create' | 'update' | 'delete';
const ACCESS_WORDS: Record<Principal['accessMode'], string> = { application: 'application-restricted', user: 'user-restricted', patient: 'patient-access' };
export function invalidMethod(action: RefusedAction, accessMode: Principal['accessMode']): ErrorSpec {
  const access = action === 'update' && accessMode === 'application' ? 'Application-Restricted' : ACCESS_WORDS[accessMode];
  return { status: 403, code: 'INVALID_METHOD', display: `Cannot ${action} resource with ${access} access token`, issueCode: 'forbidden' };
}

/** Outcomes PDS answers with HTTP 200 (not errors, but OperationOutcomes all the same). */
export const PDS_OUTCOMES = {
  TOO_MANY_MATCHES: { code: 'TOO_MANY_MATCHES', display: 'Too Many Matches', issueCode: 'multiple-matches', severity: 'information' },
  SINGLE_MATCH: { code: 'SINGLE_MATCH', display: 'Single match found', issueCode: 'value', severity: 'error' },
  MULTIPLE_MATCHES: { code: 'MULTIPLE_MATCHES', display: 'Multiple matches found', issueCode: 'value', severity: 'error' },
} as const;

/** Diagnostics formats the spec fixes (clients compare them as strings). */
export const diagnostics = {
  invalidValue: (value: string, field: string) => `Invalid value - '${value}' in field '${field}'`,
  invalidHeader: (value: string, header: string) => `Invalid value - '${value}' in header '${header}'`,
  missingValue: (field: string) => `Missing value - '${field}'`,
  missingRequestId: 'Invalid request with error - X-Request-ID header must be supplied to access this resource',
  missingIfMatch: 'Invalid request with error - If-Match header must be supplied to update this resource',
  additionalProperty: (name: string) => `Invalid request with error - Additional properties are not allowed ('${name}' was unexpected)`,
  searchTooWeak: "Invalid search data provided - 'No searches were performed as the search criteria did not meet the minimum requirements'",
  noPatches: 'Invalid update with error - No patches found',
  invalidMethod: 'Your app has insufficient permissions to use this method. Please contact support.',
};
