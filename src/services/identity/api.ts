import { randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../../platform/db/pool.js';
import { SpineError } from '../../platform/http/errors.js';
import type { ApplicationInput } from './application-input.js';
import { parseApplicationInput } from './application-input.js';
import { IDENTITY_ERRORS } from './errors.js';
import { generateSigningKey, type GeneratedKeyPair } from './keys.js';
import { findDemoApplication, insertApplication, insertDemoApplicationOnce, updateApplicationActivities, updateApplicationDisabled, type Application, type NewApplication } from './store/applications.js';
import { isActivity, type Activity } from '../../platform/auth/activities.js';

/**
 * What the identity service offers the rest of the code (CLI, seeds, tests). Other services need
 * nothing from here at run time: the principal travels inside the access token.
 */
export type { Application } from './store/applications.js';
export { applicationPrincipal, userPrincipal } from './principal.js';
export { grantToken, tokenUrlOf, CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, TOKEN_EXCHANGE, ID_TOKEN_TYPE } from './grant.js';
export { mintDemoIdToken, DEMO_ISSUER, DEMO_JWKS_PATH } from './demo-issuer.js';
export { buildClientAssertion } from './assertion-builder.js';
export { activitiesForRole, ROLE_ACTIVITIES, ROLE_NAMES, jobRoleCode } from './roles.js';
export { demoIssuerJwks } from './demo-issuer.js';
export { redeemAuthorizationCode, DEMO_CONSOLE_CLIENT_ID, DEMO_CONSOLE_CALLBACK_PATH, DEMO_AUTHORIZE_PATH } from './demo-authorize.js';

export interface CreatedApplication {
  application: Application;
  /** Only when the Spine generated the key pair: the private half, shown once and never stored. */
  generatedKey?: GeneratedKeyPair;
}

/** NHS England API keys are 32 characters; ours are 32 hex digits. */
const newApiKey = () => randomBytes(16).toString('hex');

async function prepare(input: ApplicationInput, keyBits: number): Promise<{ app: NewApplication; generatedKey?: GeneratedKeyPair }> {
  const generatedKey = input.jwks ? undefined : await generateSigningKey('RS512', keyBits);
  const jwks = input.jwks ?? { keys: [generatedKey!.publicJwk] };
  return {
    generatedKey,
    app: { appId: randomUUID(), apiKey: newApiKey(), name: input.name, odsCode: input.odsCode, jwks, activities: input.activities, rateLimit: input.rateLimit, cis2ClientId: input.cis2ClientId },
  };
}

/** Registers an application from untrusted input (admin API, CLI): 400 INVALID_VALUE naming the problem. */
export async function createApplication(db: Queryable, body: unknown, keyBits = 4096): Promise<CreatedApplication> {
  const parsed = parseApplicationInput(body);
  if (!parsed.ok) throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, `Invalid application: ${parsed.problem}`);
  const { app, generatedKey } = await prepare(parsed.value, keyBits);
  const application = await insertApplication(db, app);
  if (!application) throw new SpineError(IDENTITY_ERRORS.DUPLICATE, `An application with CIS2 client id '${app.cis2ClientId}' already exists`);
  return { application, generatedKey };
}

/** The demo seed's variant: made at most once per slot; undefined when another process made it. */
export async function createDemoApplicationOnce(db: Queryable, slot: string, input: ApplicationInput): Promise<CreatedApplication | undefined> {
  const { app, generatedKey } = await prepare(input, 2048);
  const application = await insertDemoApplicationOnce(db, slot, app);
  return application ? { application, generatedKey } : undefined;
}

/** The demo application of a slot ('demo', 'admin'), once the demo seed has made it: other services' seeds grant it their permissions. */
export async function demoApplication(db: Queryable, slot: 'demo' | 'admin'): Promise<{ appId: string; odsCode: string } | undefined> {
  const app = await findDemoApplication(db, slot);
  return app && { appId: app.appId, odsCode: app.odsCode };
}

export { listApplications, findApplicationByApiKey } from './store/applications.js';

/**
 * Replaces an application's activities (the console's edit): each must be a known activity.
 * Tokens already issued keep theirs until they expire (minutes).
 */
export async function setApplicationActivities(db: Queryable, apiKey: string, activities: readonly string[]): Promise<Application | undefined> {
  const unknown = activities.filter((a) => !isActivity(a));
  if (unknown.length > 0) throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, `Unknown activities: ${unknown.join(', ')}`);
  return updateApplicationActivities(db, apiKey, [...new Set(activities as Activity[])]);
}

/**
 * Disables or re-enables an application (the console's directory page). A disabled application gets
 * no token and every token it holds is refused, in every process within REVOCATION_REFRESH_MS; its
 * activities and keys are kept, so re-enabling restores it as it was.
 */
export async function setApplicationDisabled(db: Queryable, apiKey: string, disabled: boolean, at: Date): Promise<Application | undefined> {
  return updateApplicationDisabled(db, apiKey, disabled, at);
}
export { REVOCATION_REFRESH_MS } from './revocation.js';
