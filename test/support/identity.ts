import { randomUUID } from 'node:crypto';
import { ACTIVITIES, type Activity, type Principal } from '../../src/platform/auth/activities.js';
import { activitiesForRole } from '../../src/services/identity/roles.js';
import type { TestSpine } from './spine.js';

export interface AppTokenOptions {
  /** Activities the application is granted; default: all of them. */
  activities?: readonly Activity[];
  odsCode?: string;
  /** Requests per second; default generous enough never to trip in a test. */
  rateLimit?: number;
  name?: string;
}

export interface AppToken {
  /** Send as `Authorization: Bearer ${token}`. */
  token: string;
  apiKey: string;
  principal: Principal;
}

/**
 * An application-restricted access token for a fresh application with the given activities, as
 * POST /oauth2/token (client credentials) would mint it. It is minted directly with the platform's
 * token signer, so it works whichever services the test spine runs (the app is not stored in
 * identity.applications; test/identity/fixtures.ts `registerApp` does the full flow). Use it in
 * any service's tests:
 *
 *   const { token } = await createAppAndToken(spine, { activities: ['patient:read'] });
 *   await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 */
export async function createAppAndToken(spine: TestSpine, options: AppTokenOptions = {}): Promise<AppToken> {
  const apiKey = randomUUID().replace(/-/g, '');
  const principal: Principal = {
    appId: randomUUID(),
    apiKey,
    appName: options.name ?? 'Test application',
    odsCode: options.odsCode ?? 'A83008',
    accessMode: 'application',
    activities: [...(options.activities ?? ACTIVITIES)],
    rateLimit: options.rateLimit ?? 1_000_000,
  };
  const { token } = await spine.ctx.tokens.issue(principal);
  return { token, apiKey, principal };
}

export interface UserTokenOptions {
  /** CIS2 job-role code, e.g. R8000 (Clinical Practitioner), R8010 (Clerical), R9901 (Privacy Officer). */
  roleCode: string;
  odsCode?: string;
  userId?: string;
  roleProfileId?: string;
  /** What the application is registered for, as identity's token exchange keeps it (principal.ts); default: not kept, as in a token minted before it was. */
  appActivities?: readonly Activity[];
}

/**
 * A user-restricted access token (as token exchange of a CIS2 ID token would mint it) for a user in
 * the given role; activities come from the identity service's role map.
 */
export async function userToken(spine: TestSpine, options: UserTokenOptions): Promise<AppToken> {
  const apiKey = randomUUID().replace(/-/g, '');
  const principal: Principal = {
    appId: randomUUID(),
    apiKey,
    appName: 'Test clinical system',
    odsCode: options.odsCode ?? 'A83008',
    accessMode: 'user',
    userId: options.userId ?? '555000000001',
    roleProfileId: options.roleProfileId ?? '555000000101',
    roleCode: options.roleCode,
    activities: options.appActivities === undefined ? activitiesForRole(options.roleCode)
      : activitiesForRole(options.roleCode).filter((a) => options.appActivities!.includes(a)),
    ...(options.appActivities === undefined ? {} : { appActivities: [...options.appActivities] }),
    rateLimit: 1_000_000,
  };
  const { token } = await spine.ctx.tokens.issue(principal);
  return { token, apiKey, principal };
}
