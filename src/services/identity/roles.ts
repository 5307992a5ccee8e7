import type { Activity } from '../../platform/auth/activities.js';

/**
 * National RBAC: what each CIS2 role code may do here. Role codes are the NHS "R-codes" carried in
 * `nhsid_nrbac_roles[].role_code` (e.g. `S8000:G8000:R8000`: only the last, job-role part matters
 * here). A role not in this map gets no activities, so an unknown role is denied, not trusted.
 */
export const ROLE_ACTIVITIES: Readonly<Record<string, readonly Activity[]>> = {
  // Clinical Practitioner (GP, consultant): full patient access, messaging, directory look-ups.
  R8000: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'messaging:use', 'directory:read', 'audit:read', 'record-locator:consume',
    'prescription:prescribe', 'prescription:dispense', 'prescription:track'],
  // Nurse, Health Professional: read and update the records they care for.
  R8001: ['patient:read', 'patient:search', 'patient:write', 'messaging:use', 'directory:read', 'prescription:dispense', 'prescription:track'],
  R8003: ['patient:read', 'patient:search', 'patient:write', 'messaging:use', 'directory:read', 'prescription:dispense', 'prescription:track'],
  // Admin/clinical support: registers patients and keeps demographics current.
  R8008: ['patient:read', 'patient:search', 'patient:write', 'patient:create', 'messaging:use', 'directory:read'],
  // Clerical: finds patients and keeps addresses current, no clinical messaging.
  R8010: ['patient:read', 'patient:search', 'patient:write', 'directory:read'],
  // The two roles below use OpenSpine's own codes (kept apart from the national R80xx job roles):
  // a privacy officer reads everyone's audit trail and opt-outs; a Spine administrator runs applications, users
  // and the directory.
  R9901: ['audit:read', 'audit:read-all', 'directory:read', 'consent:read'],
  R9902: ['identity:admin', 'directory:admin', 'directory:read', 'audit:read', 'record-locator:admin'],
  // A Spine operator watches the service (the console's overview and message tracking).
  R9903: ['directory:read'],
};

/**
 * What an application may do as a system, whoever uses it: no role grants these, and a user acting
 * through an application granted one has it too. PDS lets only certain systems (the National Back
 * Office's DSA, the ONS, maternity sites) add a formal death notification, whatever the user's role.
 */
export const SYSTEM_ACTIVITIES: readonly Activity[] = ['patient:formal-death'];

/** What a patient signed in with NHS login may do: read their own opt-out (the routes keep them to their own NHS number). */
export const PATIENT_ACTIVITIES: readonly Activity[] = ['consent:read'];

export const ROLE_NAMES: Readonly<Record<string, string>> = {
  R8000: 'Clinical Practitioner',
  R8001: 'Nurse',
  R8003: 'Health Professional',
  R8008: 'Admin/Clinical Support',
  R8010: 'Clerical',
  R9901: 'Privacy Officer',
  R9902: 'Spine Administrator',
  R9903: 'Spine Operator',
};

/** The job-role code of a CIS2 role code: `S8000:G8000:R8000` and `R8000` both give `R8000`. */
export function jobRoleCode(roleCode: string): string {
  const parts = roleCode.split(':');
  return parts[parts.length - 1] ?? roleCode;
}

export function activitiesForRole(roleCode: string): Activity[] {
  return [...(ROLE_ACTIVITIES[jobRoleCode(roleCode)] ?? [])];
}
