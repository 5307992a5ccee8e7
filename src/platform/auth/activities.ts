/**
 * Activities a route can demand. Applications are granted activities directly; users get them
 * through their selected role (see identity's role map). Routes declare one in `config.activity`.
 */
export const ACTIVITIES = [
  'patient:read',
  'patient:search',
  'patient:write',
  'patient:create',
  /** Record a formal death notification (PDS: the National Back Office, the ONS and maternity sites only). */
  'patient:formal-death',
  'messaging:use',
  'directory:read',
  'directory:admin',
  'audit:read',
  'audit:read-all',
  'identity:admin',
  'record-locator:produce',
  'record-locator:consume',
  'record-locator:admin',
  'events:subscribe',
  'events:publish',
  'events:admin',
  'consent:read',
  'consent:write',
  'consent:check',
  'export:bulk',
  'prescription:prescribe',
  'prescription:dispense',
  'prescription:track',
] as const;
export type Activity = (typeof ACTIVITIES)[number];

export function isActivity(value: string): value is Activity {
  return (ACTIVITIES as readonly string[]).includes(value);
}

/** Who is calling: an application, and for user-restricted access also a user in a selected role. */
export interface Principal {
  appId: string;
  apiKey: string;
  appName: string;
  /** ODS code of the calling application's organisation, or of the user's selected role. */
  odsCode: string;
  /** 'application' for app-restricted (client credentials), 'user' for user-restricted (token exchange),
   * 'patient' for a patient signed in with NHS login (token exchange of an ID token with `nhs_number` at P9). */
  accessMode: 'application' | 'user' | 'patient';
  /** A patient's own NHS number (accessMode 'patient'): the only patient they may act for. */
  nhsNumber?: string;
  userId?: string;
  roleProfileId?: string;
  roleCode?: string;
  activities: Activity[];
  /**
   * User access: what the application itself is registered for (`activities` is the role's, narrowed to
   * it), so that a refusal can say whether the application or the role lacks an activity. Absent in
   * tokens minted before it was kept, and for application access, whose `activities` are the app's.
   */
  appActivities?: Activity[];
  /** Requests per second allowed for the app. */
  rateLimit: number;
  sandbox?: boolean;
}
