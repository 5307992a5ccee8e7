import type { Queryable } from '../../../platform/db/pool.js';
import type { Activity } from '../../../platform/auth/activities.js';
import type { Jwks } from '../keys.js';
import { canBeStoredKey, storedJti } from './text-keys.js';

export interface Application {
  appId: string;
  apiKey: string;
  name: string;
  odsCode: string;
  jwks: Jwks;
  activities: Activity[];
  rateLimit: number;
  createdAt: string;
  /** Disabled from the console: it gets no token, and the tokens it holds are refused. */
  disabled: boolean;
  /** The client id its users' CIS2 ID tokens are addressed to ('aud'): the one registered, else the API key. */
  cis2ClientId: string;
}

export type NewApplication = Omit<Application, 'createdAt' | 'disabled' | 'cis2ClientId'> & { cis2ClientId?: string };

interface ApplicationRow {
  app_id: string;
  api_key: string;
  name: string;
  ods_code: string;
  jwks: Jwks;
  activities: Activity[];
  rate_limit: number;
  created_at: Date;
  disabled_at: Date | null;
  cis2_client_id: string;
}

const COLUMNS = 'app_id, api_key, name, ods_code, jwks, activities, rate_limit, created_at, disabled_at, coalesce(cis2_client_id, api_key) AS cis2_client_id';

function toApplication(row: ApplicationRow): Application {
  return {
    appId: row.app_id,
    apiKey: row.api_key,
    name: row.name,
    odsCode: row.ods_code,
    jwks: row.jwks,
    activities: row.activities,
    rateLimit: row.rate_limit,
    createdAt: row.created_at.toISOString(),
    disabled: row.disabled_at !== null,
    cis2ClientId: row.cis2_client_id,
  };
}

const values = (app: NewApplication) =>
  [app.appId, app.apiKey, app.name, app.odsCode, JSON.stringify(app.jwks), app.activities, app.rateLimit, app.cis2ClientId ?? null];

/** Undefined when another application already answers to its CIS2 client id. */
export async function insertApplication(db: Queryable, app: NewApplication): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `INSERT INTO identity.applications (app_id, api_key, name, ods_code, jwks, activities, rate_limit, cis2_client_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT ((coalesce(cis2_client_id, api_key))) DO NOTHING RETURNING ${COLUMNS}`, values(app));
  return rows[0] ? toApplication(rows[0]) : undefined;
}

/**
 * Inserts the app for a demo slot unless one is there already (an app answering to its CIS2 client
 * id is the one made before). Returns it only when this call made it: the process that made it is
 * the only one holding its private key.
 */
export async function insertDemoApplicationOnce(db: Queryable, slot: string, app: NewApplication): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `INSERT INTO identity.applications (app_id, api_key, name, ods_code, jwks, activities, rate_limit, cis2_client_id, demo_slot)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [...values(app), slot]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

export async function findDemoApplication(db: Queryable, slot: string): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(`SELECT ${COLUMNS} FROM identity.applications WHERE demo_slot = $1`, [slot]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

export async function findApplicationByApiKey(db: Queryable, apiKey: string): Promise<Application | undefined> {
  if (!canBeStoredKey(apiKey)) return undefined;
  const { rows } = await db.query<ApplicationRow>(`SELECT ${COLUMNS} FROM identity.applications WHERE api_key = $1`, [apiKey]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

/** Key rotation: the app's JWKS is replaced whole, as when an NHS app republishes its JWKS. */
export async function replaceApplicationJwks(db: Queryable, apiKey: string, jwks: Jwks): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `UPDATE identity.applications SET jwks = $2 WHERE api_key = $1 RETURNING ${COLUMNS}`, [apiKey, JSON.stringify(jwks)]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

/**
 * Sets the client id CIS2 knows an application by (null: its API key, the default). Undefined when
 * there is no such application; 'taken' when another application is known to CIS2 by that id.
 */
export async function updateApplicationCis2ClientId(db: Queryable, apiKey: string, clientId: string | null): Promise<{ application: Application; previous: string } | 'taken' | undefined> {
  try {
    // The value replaced is read in the same statement, under the row's lock: two replacements at
    // once each name what they replaced, never both the value they found before either wrote.
    const { rows } = await db.query<ApplicationRow & { previous: string }>(
      `UPDATE identity.applications SET cis2_client_id = $2
         FROM (SELECT api_key AS locked, coalesce(cis2_client_id, api_key) AS previous FROM identity.applications WHERE api_key = $1 FOR UPDATE) old
         WHERE api_key = old.locked RETURNING ${COLUMNS}, old.previous`, [apiKey, clientId]);
    return rows[0] ? { application: toApplication(rows[0]), previous: rows[0].previous } : undefined;
  } catch (err) {
    // applications_cis2_client_id: one application per client id, whoever wrote it first.
    if ((err as { code?: unknown }).code === '23505') return 'taken';
    throw err;
  }
}

/** Replaces what an application may do (an empty list disables it: every call is then refused 403). */
export async function updateApplicationActivities(db: Queryable, apiKey: string, activities: Activity[]): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `UPDATE identity.applications SET activities = $2 WHERE api_key = $1 RETURNING ${COLUMNS}`, [apiKey, activities]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

/** Disables (from `at`, kept if already disabled) or re-enables an application. */
export async function updateApplicationDisabled(db: Queryable, apiKey: string, disabled: boolean, at: Date): Promise<Application | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `UPDATE identity.applications SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, $3) ELSE NULL END
      WHERE api_key = $1 RETURNING ${COLUMNS}`, [apiKey, disabled, at]);
  return rows[0] ? toApplication(rows[0]) : undefined;
}

export async function disabledApplicationIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ app_id: string }>('SELECT app_id FROM identity.applications WHERE disabled_at IS NOT NULL');
  return rows.map((r) => r.app_id);
}

export async function listApplications(db: Queryable): Promise<Application[]> {
  const { rows } = await db.query<ApplicationRow>(`SELECT ${COLUMNS} FROM identity.applications ORDER BY created_at, name`);
  return rows.map(toApplication);
}

/**
 * Remembers a client assertion's jti until it expires. False when the app used it before: the
 * primary key makes this hold across every process on the database (NHS: "jti must be unique").
 */
export async function recordJti(db: Queryable, apiKey: string, jti: string, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO identity.used_jtis (api_key, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [apiKey, storedJti(jti), expiresAt]);
  return rowCount === 1;
}

/** An expired assertion is refused on its exp alone, so its jti need not be kept. */
export async function purgeExpiredJtis(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM identity.used_jtis WHERE expires_at < $1`, [now]);
  return rowCount ?? 0;
}
