import type { Principal } from '../../platform/auth/activities.js';
import type { AuditSearch } from '../../platform/audit/store.js';

/**
 * Whose activity a caller may see. 'audit:read-all' (privacy officers) sees everyone's; plain
 * 'audit:read' sees only the caller's own: a user their own accesses, an application its own calls.
 */
export function auditScopeFor(principal: Principal): AuditSearch['onlyBy'] {
  if (principal.activities.includes('audit:read-all')) return undefined;
  if (principal.accessMode === 'user' && principal.userId) return { userId: principal.userId };
  return { appId: principal.appId };
}
