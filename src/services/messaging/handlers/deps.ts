import type { PlatformContext } from '../../../platform/service.js';
import type { MailboxCache, WorkflowCache } from '../auth/mailbox-cache.js';
import type { BodyStore } from '../store/body-store.js';
import type { NonceLedger } from '../store/nonces.js';
import type { UploadSlots } from './upload-slots.js';

/** What every handler needs: the platform, the body store, the directory's mailboxes and workflows, and the upload slots. */
export interface MeshDeps {
  ctx: PlatformContext;
  bodies: BodyStore;
  mailboxes: MailboxCache;
  workflows: WorkflowCache;
  nonces: NonceLedger;
  uploads: UploadSlots;
}
