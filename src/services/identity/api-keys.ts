import type { Queryable } from '../../platform/db/pool.js';
import type { Clock } from '../../platform/clock.js';
import type { Principal } from '../../platform/auth/activities.js';
import { findApplicationByApiKey } from './store/applications.js';
import { applicationPrincipal } from './principal.js';

/** A changed or removed app takes effect within this long; meanwhile a hot key costs no query. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * API-key authentication, for the NHS APIs that use it (SDS: `apikey` header): the key's application
 * acts for itself, application-restricted, with the activities it is registered for. Unknown keys are
 * remembered too, so a client retrying a bad key does not reach the database each time.
 */
export function apiKeyResolver(db: Queryable, clock: Clock): (apiKey: string) => Promise<Principal | undefined> {
  const cache = new Map<string, { principal: Principal | undefined; until: number }>();
  return async (apiKey) => {
    const now = clock.now().getTime();
    const hit = cache.get(apiKey);
    if (hit && hit.until > now) return hit.principal;
    if (apiKey.length > 200) return undefined;
    const app = await findApplicationByApiKey(db, apiKey);
    const principal = app ? applicationPrincipal(app) : undefined;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(apiKey, { principal, until: now + CACHE_MS });
    return principal;
  };
}
