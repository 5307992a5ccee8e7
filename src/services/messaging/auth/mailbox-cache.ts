import type { Db } from '../../../platform/db/pool.js';
import { directoryApi, type MeshMailbox } from '../../directory/api.js';

/**
 * Mailboxes from the directory, remembered for a few seconds: every MESH call authenticates, and
 * a mailbox changes rarely. A password change or deactivation takes effect within `ttlMs`.
 */
export interface MailboxCache {
  get(mailboxId: string): Promise<MeshMailbox | undefined>;
}

export function mailboxCache(db: Db, ttlMs = 5_000, now: () => number = Date.now): MailboxCache {
  const entries = new Map<string, { at: number; mailbox: Promise<MeshMailbox | undefined> }>();
  const directory = directoryApi(db);
  return {
    get(mailboxId) {
      const id = mailboxId.toUpperCase();
      const hit = entries.get(id);
      if (hit && now() - hit.at < ttlMs) return hit.mailbox;
      if (entries.size > 10_000) entries.clear();
      const mailbox = directory.getMailbox(id);
      entries.set(id, { at: now(), mailbox });
      mailbox.catch(() => entries.delete(id));
      return mailbox;
    },
  };
}
