import { randomInt } from 'node:crypto';
import { ROLE_ACTIVITIES, jobRoleCode } from './roles.js';
import { ODS_CODE, type Parsed } from './application-input.js';
import type { RoleProfile } from './store/users.js';

export interface UserInput {
  userId: string;
  name: string;
  roleProfiles: RoleProfile[];
}

/** SDS user and role profile ids are 12 digits; we accept any short token of letters, digits and dashes. */
const ID = /^[A-Za-z0-9-]{1,64}$/;
/** CIS2 role codes come as `R8000` or the full `S8000:G8000:R8000`. */
const ROLE_CODE = /^(?:S\d{4,5}:G\d{4,5}:)?R\d{4,5}$/;

/** A fresh 12-digit id in the shape SDS uses for user and role profile ids. */
export const newSdsId = () => `5550${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

export function parseRoleProfileInput(body: unknown, userId: string): Parsed<RoleProfile> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'a role profile must be a JSON object' };
  const input = body as Record<string, unknown>;
  const roleProfileId = input.roleProfileId ?? newSdsId();
  if (typeof roleProfileId !== 'string' || !ID.test(roleProfileId)) return { ok: false, problem: "'roleProfileId' must be 1 to 64 letters, digits or dashes" };
  if (typeof input.odsCode !== 'string' || !ODS_CODE.test(input.odsCode)) return { ok: false, problem: "'odsCode' must be an ODS code: 3 to 10 capital letters or digits" };
  if (typeof input.roleCode !== 'string' || !ROLE_CODE.test(input.roleCode) || !ROLE_ACTIVITIES[jobRoleCode(input.roleCode)]) {
    return { ok: false, problem: `'roleCode' must be one of the mapped CIS2 role codes: ${Object.keys(ROLE_ACTIVITIES).join(', ')}` };
  }
  return { ok: true, value: { roleProfileId, userId, odsCode: input.odsCode, roleCode: input.roleCode } };
}

export function parseUserInput(body: unknown): Parsed<UserInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'body must be a JSON object' };
  const input = body as Record<string, unknown>;
  const userId = input.userId ?? newSdsId();
  if (typeof userId !== 'string' || !ID.test(userId)) return { ok: false, problem: "'userId' must be 1 to 64 letters, digits or dashes" };
  if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) {
    return { ok: false, problem: "'name' must be a non-empty string of at most 200 characters" };
  }
  const rawProfiles = input.roleProfiles ?? [];
  if (!Array.isArray(rawProfiles)) return { ok: false, problem: "'roleProfiles' must be a list" };
  const roleProfiles: RoleProfile[] = [];
  for (const raw of rawProfiles) {
    const parsed = parseRoleProfileInput(raw, userId);
    if (!parsed.ok) return parsed;
    roleProfiles.push(parsed.value);
  }
  if (new Set(roleProfiles.map((r) => r.roleProfileId)).size !== roleProfiles.length) return { ok: false, problem: "'roleProfileId's must be distinct" };
  return { ok: true, value: { userId, name: input.name.trim(), roleProfiles } };
}
