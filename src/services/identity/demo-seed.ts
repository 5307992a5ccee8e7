import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformContext } from '../../platform/service.js';
import { ACTIVITIES } from '../../platform/auth/activities.js';
import { SYSTEM_ACTIVITIES } from './roles.js';
import { createDemoApplicationOnce, type CreatedApplication } from './api.js';
import { DEMO_CLIENT_ID, DEMO_ISSUER, ensureDemoIssuer } from './demo-issuer.js';
import { tokenUrlOf } from './grant.js';
import { insertRoleProfile, insertUser, type RoleProfile } from './store/users.js';

export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';

/** A GP practice in the NHS sandbox data, and NHS England's own ODS code for national roles. */
const DEMO_PRACTICE = 'A83008';
const NATIONAL = 'X26';

export const DEMO_USERS: Array<{ userId: string; name: string; roleProfiles: Array<Omit<RoleProfile, 'userId'>> }> = [
  // A GP who also works shifts as a nurse elsewhere: two role profiles, so role selection matters.
  { userId: '555000000001', name: 'Dr Alex Demo', roleProfiles: [
    { roleProfileId: '555000000101', odsCode: DEMO_PRACTICE, roleCode: 'R8000' },
    { roleProfileId: '555000000111', odsCode: 'Y12345', roleCode: 'R8001' },
  ] },
  { userId: '555000000002', name: 'Sam Demo-Clerk', roleProfiles: [{ roleProfileId: '555000000102', odsCode: DEMO_PRACTICE, roleCode: 'R8010' }] },
  { userId: '555000000003', name: 'Pat Demo-Privacy', roleProfiles: [{ roleProfileId: '555000000103', odsCode: NATIONAL, roleCode: 'R9901' }] },
  { userId: '555000000004', name: 'Chris Demo-Admin', roleProfiles: [{ roleProfileId: '555000000104', odsCode: NATIONAL, roleCode: 'R9902' }] },
  { userId: '555000000005', name: 'Jo Demo-Operator', roleProfiles: [{ roleProfileId: '555000000105', odsCode: NATIONAL, roleCode: 'R9903' }] },
];

interface KeyCredentials {
  appName: string;
  apiKey: string;
  kid: string;
  privateKeyPath: string;
  privateKeyPem: string;
}

export interface DemoCredentials extends Partial<KeyCredentials> {
  tokenUrl?: string;
  admin?: KeyCredentials;
  demoIssuer?: string;
  users?: typeof DEMO_USERS;
}

export const demoCredentialsPath = (dataDir: string) => join(dataDir, DEMO_CREDENTIALS_FILE);

function readCredentials(path: string): DemoCredentials {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoCredentials;
  } catch {
    return {};
  }
}

function writePrivate(path: string, text: string) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

function keyCredentials(dataDir: string, created: CreatedApplication): KeyCredentials {
  const { application, generatedKey } = created;
  const privateKeyPath = join(dataDir, 'keys', `${application.apiKey}.pem`);
  writePrivate(privateKeyPath, generatedKey!.privateKeyPem);
  return { appName: application.name, apiKey: application.apiKey, kid: generatedKey!.kid, privateKeyPath, privateKeyPem: generatedKey!.privateKeyPem };
}

/**
 * Demo identities, idempotent and safe with several processes on one database: each demo app is
 * made once (a unique slot); only the process that made it holds its private key, so only that
 * process writes the credentials file. A restart finds the apps and leaves the file as it is.
 */
export async function seedIdentityDemo(ctx: PlatformContext): Promise<void> {
  await ensureDemoIssuer(ctx.db);
  const demo = await createDemoApplicationOnce(ctx.db, 'demo', {
    name: 'OpenSpine demo clinical system',
    odsCode: DEMO_PRACTICE,
    // A GP's clinical system: not one of the systems PDS lets record a formal death (SYSTEM_ACTIVITIES).
    activities: ACTIVITIES.filter((a) => (a.startsWith('patient:') && !SYSTEM_ACTIVITIES.includes(a)) || a.startsWith('messaging:') || a === 'directory:read' || a === 'audit:read'
      || a === 'record-locator:produce' || a === 'record-locator:consume' || a.startsWith('prescription:')),
    rateLimit: 100_000,
    cis2ClientId: DEMO_CLIENT_ID,
  });
  const admin = await createDemoApplicationOnce(ctx.db, 'admin', {
    name: 'OpenSpine demo administration',
    odsCode: NATIONAL,
    activities: ['identity:admin', 'directory:admin', 'directory:read', 'audit:read', 'audit:read-all', 'record-locator:admin'],
    rateLimit: 1_000,
  });
  for (const user of DEMO_USERS) {
    await insertUser(ctx.db, user);
    for (const profile of user.roleProfiles) await insertRoleProfile(ctx.db, { ...profile, userId: user.userId });
  }
  if (!demo && !admin) return;
  mkdirSync(join(ctx.config.dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const path = demoCredentialsPath(ctx.config.dataDir);
  const credentials: DemoCredentials = {
    ...readCredentials(path),
    ...(demo ? keyCredentials(ctx.config.dataDir, demo) : {}),
    ...(admin ? { admin: keyCredentials(ctx.config.dataDir, admin) } : {}),
    tokenUrl: tokenUrlOf(ctx),
    demoIssuer: DEMO_ISSUER,
    users: DEMO_USERS,
  };
  writePrivate(path, `${JSON.stringify(credentials, null, 2)}\n`);
  ctx.log.info({ path }, 'demo application credentials written');
}

export function readDemoCredentials(dataDir: string): DemoCredentials {
  return readCredentials(demoCredentialsPath(dataDir));
}
