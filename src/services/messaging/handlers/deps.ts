import type { PlatformContext } from '../../../platform/service.js';
import type { MailboxCache, WorkflowCache } from '../auth/mailbox-cache.js';
import type { BodyStore } from '../store/body-store.js';
import type { NonceLedger } from '../store/nonces.js';

/** What every handler needs: the platform, the body store and the directory's mailboxes and workflows. */
export interface MeshDeps {
  ctx: PlatformContext;
  bodies: BodyStore;
  mailboxes: MailboxCache;
  workflows: WorkflowCache;
  nonces: NonceLedger;
}
