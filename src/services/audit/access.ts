import type { Principal } from '../../platform/auth/activities.js';
import type { AuditSearch } from '../../platform/audit/store.js';

/**
 * Whose activity a caller may see. 'audit:read-all' (privacy officers) sees everyone's; plain
 * 'audit:read' sees only the caller's own: an application its own calls, a user their own accesses
 * through this application. A user id is an identity provider's `sub`, and each provider names its
 * own users: by the id alone, a user of a provider trusted for one application read the accesses,
 * patients and all, that another provider's user of that id made through any other application.
 */
export function auditScopeFor(principal: Principal): AuditSearch['onlyBy'] {
  if (principal.activities.includes('audit:read-all')) return undefined;
  if (principal.accessMode === 'user' && principal.userId) return { appId: principal.appId, userId: principal.userId };
  return { appId: principal.appId };
}
