import { defineErrors, PLATFORM_ERRORS } from '../../platform/http/errors.js';

/** The audit service's error catalogue: the NHS Spine codes its search answers with (PDS wording). */
export const AUDIT_ERRORS = defineErrors({
  INVALID_VALUE: PLATFORM_ERRORS.INVALID_VALUE,
  INVALID_SEARCH_DATA: { status: 400, code: 'INVALID_SEARCH_DATA', display: 'Search data is invalid', issueCode: 'value' },
  ADDITIONAL_PROPERTIES: { status: 400, code: 'ADDITIONAL_PROPERTIES', display: 'Additional properties should not be included', issueCode: 'value' },
});

export const invalidValueDiagnostics = (value: string, field: string) => `Invalid value - '${value}' in field '${field}'`;
