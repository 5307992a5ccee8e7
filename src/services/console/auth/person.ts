import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import type { ConsoleRole } from '../pages.js';

/** An issuer that names roles in a claim of its own (e.g. `groups`): the claim, and the console role each value gives, first match wins. */
export interface RoleMapping {
  claim: string;
  roles: ReadonlyArray<readonly [value: string, role: Exclude<ConsoleRole, 'patient'>]>;
}

/** Who is signed in to the console, as their ID token said. */
export interface ConsolePerson {
  issuer: string;
  /** The ID token's `sub`. */
  sub: string;
  name: string;
  role: ConsoleRole;
  /** Staff: the CIS2 role profile they signed in with. */
  roleProfileId?: string;
  roleCode?: string;
  odsCode?: string;
  /** Patients: their verified NHS number (NHS login's `nhs_number`). */
  nhsNumber?: string;
}

/**
 * OpenSpine's own job-role codes (identity's role map) that open the console. National clinical
 * roles (R80xx) do not: the console shows the whole Spine, not one practice's patients.
 */
const STAFF_ROLES: Readonly<Record<string, ConsoleRole>> = {
  R9901: 'privacy-officer',
  R9902: 'administrator',
  R9903: 'operator',
};

interface NrbacRole { person_roleid?: unknown; org_code?: unknown; role_code?: unknown }

/**
 * The console person an ID token's claims describe, or why it does not open the console. Staff
 * carry CIS2's `nhsid_nrbac_roles` with a `selected_roleid`; patients carry NHS login's
 * `nhs_number` (valid, with its check digit) at proofing level P9.
 */
export function personFromClaims(issuer: string, claims: Record<string, unknown>, mapping?: RoleMapping): { ok: true; person: ConsolePerson } | { ok: false; problem: string } {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') return { ok: false, problem: 'the ID token has no subject' };
  const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name : sub;
  if (typeof claims.nhs_number === 'string') {
    if (!isValidNhsNumber(claims.nhs_number)) return { ok: false, problem: 'the ID token\'s NHS number is not valid' };
    if (claims.identity_proofing_level !== 'P9') return { ok: false, problem: 'a patient must be verified to proofing level P9 to see their record\'s audit trail' };
    return { ok: true, person: { issuer, sub, name, role: 'patient', nhsNumber: claims.nhs_number } };
  }
  if (mapping) {
    const raw = claims[mapping.claim];
    const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : [];
    const match = mapping.roles.find(([value]) => values.includes(value));
    if (!match) return { ok: false, problem: `no value of the ID token's '${mapping.claim}' claim gives access to the console` };
    return { ok: true, person: { issuer, sub, name, role: match[1] } };
  }
  const roles = Array.isArray(claims.nhsid_nrbac_roles) ? claims.nhsid_nrbac_roles as NrbacRole[] : [];
  const selected = roles.find((r) => r !== null && typeof r === 'object' && r.person_roleid === claims.selected_roleid);
  if (!selected || typeof selected.role_code !== 'string' || typeof selected.org_code !== 'string' || typeof selected.person_roleid !== 'string') {
    return { ok: false, problem: 'the ID token names no selected role profile' };
  }
  const roleCode = selected.role_code.split(':').pop()!;
  const role = STAFF_ROLES[roleCode];
  if (!role) return { ok: false, problem: `role ${roleCode} does not give access to the console` };
  return { ok: true, person: { issuer, sub, name, role, roleProfileId: selected.person_roleid, roleCode, odsCode: selected.org_code } };
}
