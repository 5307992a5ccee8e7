import type { Queryable } from '../../../platform/db/pool.js';

export interface RoleProfile {
  roleProfileId: string;
  userId: string;
  odsCode: string;
  roleCode: string;
}

export interface User {
  userId: string;
  name: string;
  roleProfiles: RoleProfile[];
}

/** Creates a user unless one with the id exists; true when created. */
export async function insertUser(db: Queryable, user: { userId: string; name: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO identity.users (user_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [user.userId, user.name]);
  return rowCount === 1;
}

/** Adds a role profile unless one with the id exists; true when added. */
export async function insertRoleProfile(db: Queryable, profile: RoleProfile): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO identity.role_profiles (role_profile_id, user_id, ods_code, role_code) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`, [profile.roleProfileId, profile.userId, profile.odsCode, profile.roleCode]);
  return rowCount === 1;
}

interface UserRow {
  user_id: string;
  name: string;
  role_profiles: Array<{ role_profile_id: string; ods_code: string; role_code: string }>;
}

const USERS_WITH_ROLES = `
  SELECT u.user_id, u.name,
         COALESCE(jsonb_agg(jsonb_build_object('role_profile_id', r.role_profile_id, 'ods_code', r.ods_code, 'role_code', r.role_code)
                            ORDER BY r.role_profile_id) FILTER (WHERE r.role_profile_id IS NOT NULL), '[]') AS role_profiles
  FROM identity.users u LEFT JOIN identity.role_profiles r ON r.user_id = u.user_id`;

function toUser(row: UserRow): User {
  return {
    userId: row.user_id,
    name: row.name,
    roleProfiles: row.role_profiles.map((r) => ({ roleProfileId: r.role_profile_id, userId: row.user_id, odsCode: r.ods_code, roleCode: r.role_code })),
  };
}

export async function findUser(db: Queryable, userId: string): Promise<User | undefined> {
  const { rows } = await db.query<UserRow>(`${USERS_WITH_ROLES} WHERE u.user_id = $1 GROUP BY u.user_id, u.name`, [userId]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<User[]> {
  const { rows } = await db.query<UserRow>(`${USERS_WITH_ROLES} GROUP BY u.user_id, u.name ORDER BY u.user_id`);
  return rows.map(toUser);
}
