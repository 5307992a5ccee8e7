import { isActivity, type Principal } from '../../platform/auth/activities.js';
import { PATIENT_ACTIVITIES, SYSTEM_ACTIVITIES, activitiesForRole, jobRoleCode } from './roles.js';
import type { Application } from './store/applications.js';
import type { PatientLogin, SelectedRole } from './subject-token.js';

/** Application-restricted access: the app acts for itself with the activities it was granted. */
export function applicationPrincipal(app: Application): Principal {
  return {
    appId: app.appId,
    apiKey: app.apiKey,
    appName: app.name,
    odsCode: app.odsCode,
    accessMode: 'application',
    activities: app.activities.filter(isActivity),
    rateLimit: app.rateLimit,
  };
}

/**
 * User-restricted access: a user acting through the app in one role profile. The role decides the
 * activities (national RBAC), narrowed to what the app itself is registered for: a user's rights
 * never widen what an application may do. What the app may do as a system (`SYSTEM_ACTIVITIES`:
 * a formal death notification) its users may do through it. The organisation is the role's, not the app's.
 */
export function userPrincipal(app: Application, selected: SelectedRole): Principal {
  return {
    appId: app.appId,
    apiKey: app.apiKey,
    appName: app.name,
    odsCode: selected.role.org_code,
    accessMode: 'user',
    userId: selected.userId,
    roleProfileId: selected.role.person_roleid,
    roleCode: jobRoleCode(selected.role.role_code),
    activities: [...activitiesForRole(selected.role.role_code), ...SYSTEM_ACTIVITIES].filter((a) => app.activities.includes(a)),
    appActivities: app.activities.filter(isActivity),
    rateLimit: app.rateLimit,
  };
}

/**
 * A patient (NHS login) through the app: the patient activities the app is registered for, and
 * their own NHS number, the only patient the routes let them act for.
 */
export function patientPrincipal(app: Application, login: PatientLogin): Principal {
  return {
    appId: app.appId,
    apiKey: app.apiKey,
    appName: app.name,
    odsCode: app.odsCode,
    accessMode: 'patient',
    userId: login.userId,
    nhsNumber: login.nhsNumber,
    activities: PATIENT_ACTIVITIES.filter((a) => app.activities.includes(a)),
    rateLimit: app.rateLimit,
  };
}
