import type { Principal } from '../../platform/auth/activities.js';
import type { PlatformContext } from '../../platform/service.js';
import { directoryApi } from '../directory/api.js';
import { disabledApplicationIds } from './store/applications.js';

/**
 * Access tokens are verified locally (no database round trip), so a token outlives a change to its
 * application. This list closes the gap: the applications disabled from the console and the
 * organisations the directory marks inactive, re-read at most every REVOCATION_REFRESH_MS, so every
 * process refuses their tokens (and API keys) within about that time (the list is refreshed beside
 * the requests, never in their way). A principal's organisation is its
 * application's (application-restricted) or its user's role's (user-restricted).
 */
export const REVOCATION_REFRESH_MS = 1_000;

interface Revoked { appIds: ReadonlySet<string>; odsCodes: ReadonlySet<string>; at: number }

export function revocationCheck(ctx: PlatformContext): (principal: Principal) => Promise<boolean> {
  const directory = directoryApi(ctx.db);
  let current: Revoked | undefined;
  let loading: Promise<Revoked | undefined> | undefined;
  let failing = false;
  const load = async (): Promise<Revoked | undefined> => {
    try {
      const [appIds, odsCodes] = await Promise.all([disabledApplicationIds(ctx.db), directory.inactiveOrganisationCodes()]);
      current = { appIds: new Set(appIds), odsCodes: new Set(odsCodes), at: Date.now() };
      failing = false;
    } catch (err) {
      // The database is failing: requests meet its refusal anyway. Keep the last list (or, at start,
      // an empty one) meanwhile, so no request waits here, and say so once.
      if (!failing) ctx.log.warn({ err }, 'revocation list not refreshed');
      failing = true;
      current ??= { appIds: new Set(), odsCodes: new Set(), at: 0 };
    } finally {
      loading = undefined;
    }
    return current;
  };
  return async (principal) => {
    // Only the first list is waited for; later ones are fetched beside the requests, so a slow or
    // frozen database never holds a request here (it meets the database's own refusal instead).
    if (!current) await (loading ??= load());
    else if (Date.now() - current.at >= REVOCATION_REFRESH_MS) loading ??= load();
    return current !== undefined && (current.appIds.has(principal.appId) || current.odsCodes.has(principal.odsCode.toUpperCase()));
  };
}
