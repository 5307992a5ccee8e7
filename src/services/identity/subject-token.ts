import { isValidNhsNumber } from '../../platform/nhs-number.js';
import { clipForDiagnostics as clip } from '../../platform/http/validation-failure.js';
import type { Checked } from './client-assertion.js';

/**
 * The user side of token exchange: which of the user's CIS2 role profiles the session acts in.
 * CIS2 ID tokens carry every role as `nhsid_nrbac_roles[]` and may name one as `selected_roleid`;
 * NHS England's API platform lets the `NHSD-Session-URID` header choose instead (API-NOTES §5).
 */
export interface NrbacRole {
  person_roleid: string;
  org_code: string;
  role_code: string;
}

export interface SelectedRole {
  userId: string;
  role: NrbacRole;
}

/**
 * What an ID token says of its user travels in the access token and into every audit record of the
 * session: identifiers of at most 200 characters without control characters (a NUL cannot be
 * stored: each audited request would fail). The issuer signed them, but is trusted no further.
 */
const isIdentifier = (value: unknown): value is string => typeof value === 'string' && /^[^\u0000-\u001f\u007f-\u009f]{1,200}$/.test(value);

const isNrbacRole = (value: unknown): value is NrbacRole => {
  const r = value as Partial<NrbacRole> | null;
  return typeof r === 'object' && r !== null
    && isIdentifier(r.person_roleid) && isIdentifier(r.org_code) && isIdentifier(r.role_code);
};

const NO_SUB: Checked<never> = { ok: false, error: 'INVALID_SUBJECT_TOKEN', detail: "subject_token has no 'sub' claim of at most 200 characters without control characters" };

/** A patient signed in with NHS login: its ID token's verified NHS number (P9, the highest proofing level). */
export interface PatientLogin {
  userId: string;
  nhsNumber: string;
}

/**
 * NHS login's ID tokens carry `nhs_number` and `identity_proofing_level`; only P9 (identity checked
 * in full) is trusted to say whose record the patient may see.
 */
export function patientLogin(claims: Record<string, unknown>): Checked<PatientLogin> {
  if (!isIdentifier(claims.sub)) return NO_SUB;
  if (typeof claims.nhs_number !== 'string' || !isValidNhsNumber(claims.nhs_number)) {
    return { ok: false, error: 'INVALID_SUBJECT_TOKEN', detail: "subject_token's 'nhs_number' is not a valid NHS number" };
  }
  if (claims.identity_proofing_level !== 'P9') {
    return { ok: false, error: 'INVALID_SUBJECT_TOKEN', detail: "A patient's subject_token must be at identity_proofing_level P9" };
  }
  return { ok: true, value: { userId: claims.sub, nhsNumber: claims.nhs_number } };
}

/** Picks the session's role: the header wins over the claim, and it must be one of the user's own. */
export function selectRole(claims: Record<string, unknown>, sessionUrid: string | undefined): Checked<SelectedRole> {
  if (!isIdentifier(claims.sub)) return NO_SUB;
  const roles = Array.isArray(claims.nhsid_nrbac_roles) ? claims.nhsid_nrbac_roles.filter(isNrbacRole) : [];
  const selected = sessionUrid || (typeof claims.selected_roleid === 'string' ? claims.selected_roleid : undefined);
  if (!selected) return { ok: false, error: 'MISSING_SELECTED_ROLE' };
  const role = roles.find((r) => r.person_roleid === selected);
  if (!role) return { ok: false, error: 'INVALID_SELECTED_ROLE', detail: `Selected role '${clip(selected)}' is not one of the user's role profiles` };
  return { ok: true, value: { userId: claims.sub, role } };
}
