import { deleteAllMessages } from '../store/messages.js';
import type { MeshDeps } from './deps.js';

/** Sandbox reset: every message (of one mailbox, as sender or recipient, when given) and its body. */
export async function resetMailboxes(deps: MeshDeps, mailboxId?: string): Promise<void> {
  await deps.ctx.db.tx(async (tx) => {
    if (!mailboxId) {
      await deleteAllMessages(tx);
      await deps.bodies.deleteAll(tx);
      return;
    }
    const ids = await deleteAllMessages(tx, mailboxId);
    await deps.bodies.deleteMessages(tx, ids);
  });
}
