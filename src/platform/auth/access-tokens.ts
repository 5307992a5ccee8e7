import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Queryable } from '../db/pool.js';
import type { Clock } from '../clock.js';
import { isActivity, type Principal } from './activities.js';

/** NHS England's platform issues 10-minute access tokens and says so as the string "599". */
export const ACCESS_TOKEN_TTL_SECONDS = 599;

/**
 * Access tokens are HS256 JWTs carrying the principal, signed with a secret kept in the database,
 * so every API process verifies them locally without a database round trip. Verified tokens are
 * cached until they expire: at thousands of requests a second the same token repeats.
 */
export class AccessTokens {
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();

  private constructor(private readonly secret: Uint8Array, private readonly clock: Clock) {}

  static async load(db: Queryable, clock: Clock): Promise<AccessTokens> {
    const candidate = randomBytes(32).toString('base64');
    // First process to start creates the secret; the rest read it.
    await db.query(`INSERT INTO platform.settings (key, value) VALUES ('access_token_secret', $1) ON CONFLICT (key) DO NOTHING`, [candidate]);
    const { rows } = await db.query<{ value: string }>(`SELECT value FROM platform.settings WHERE key = 'access_token_secret'`);
    return new AccessTokens(Buffer.from(rows[0]!.value, 'base64'), clock);
  }

  async issue(principal: Principal): Promise<{ token: string; issuedAt: number; expiresIn: number }> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ p: principal })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_TTL_SECONDS)
      .sign(this.secret);
    return { token, issuedAt, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /** The principal of a valid, unexpired token, or undefined. */
  async verify(token: string): Promise<Principal | undefined> {
    const nowMs = this.clock.now().getTime();
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.expiresAt > nowMs) return hit.principal;
      this.cache.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], currentDate: new Date(nowMs) });
      const principal = payload.p as Principal | undefined;
      if (!principal || !Array.isArray(principal.activities) || !principal.activities.every(isActivity)) return undefined;
      if (principal.appActivities !== undefined && (!Array.isArray(principal.appActivities) || !principal.appActivities.every(isActivity))) return undefined;
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(token, { principal, expiresAt: (payload.exp ?? 0) * 1000 });
      return principal;
    } catch {
      return undefined;
    }
  }
}
