import type { Db } from '../../../platform/db/pool.js';
import { directoryApi, type MeshMailbox, type MeshWorkflow } from '../../directory/api.js';

/**
 * Mailboxes and workflows from the directory, remembered for a few seconds: every MESH call
 * authenticates and every send checks its workflow, and both change rarely. A password change,
 * deactivation or workflow change takes effect within `ttlMs`.
 */
export interface MailboxCache {
  get(mailboxId: string): Promise<MeshMailbox | undefined>;
}

export interface WorkflowCache {
  get(workflowId: string): Promise<MeshWorkflow | undefined>;
}

/**
 * A look-up remembered per key for `ttlMs`; a failed look-up is forgotten at once. Concurrent
 * callers await the same look-up.
 */
function remembered<T>(load: (key: string) => Promise<T>, ttlMs: number, now: () => number): (key: string) => Promise<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return (key) => {
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    if (entries.size > 10_000) entries.clear();
    const value = load(key);
    entries.set(key, { at: now(), value });
    value.catch(() => entries.delete(key));
    return value;
  };
}

export function mailboxCache(db: Db, ttlMs = 5_000, now: () => number = Date.now): MailboxCache {
  const directory = directoryApi(db);
  // A mailbox of an organisation disabled in the directory is inactive too: it neither authenticates nor receives.
  const get = remembered((id) => directory.mailboxInService(id), ttlMs, now);
  return { get: (mailboxId) => get(mailboxId.toUpperCase()) };
}

export function workflowCache(db: Db, ttlMs = 5_000, now: () => number = Date.now): WorkflowCache {
  const directory = directoryApi(db);
  // Workflow ids are case-sensitive (the inbox filter compares them exactly).
  return { get: remembered((id) => directory.getWorkflow(id), ttlMs, now) };
}
