import type pg from 'pg';
import type { Db } from '../../platform/db/pool.js';
import { PERMISSIONS_CHANGED, pointerTypesFor } from './store.js';

/**
 * The pointer types of (application, organisation), kept in the process: every NRL request needs
 * them, and they change rarely. Correct across processes: every change to the permission table
 * notifies `PERMISSIONS_CHANGED` when it commits (store.ts), and this cache LISTENs on a connection
 * of its own and forgets everything on a notification. While that connection is not listening
 * (not yet opened, lost, the database down) the cache is bypassed and every look-up reads the
 * table, as it would without a cache.
 *
 * A look-up that read the table before a change must not store what it read after the change's
 * notification has cleared the cache: each look-up stores only if no notification (and no loss or
 * start of listening) came while it read.
 */
export interface PermissionCache {
  pointerTypes(appId: string, organisation: string): Promise<string[]>;
  /** A change this process has just committed: forget now rather than when its notification arrives. */
  forget(): void;
  close(): Promise<void>;
}

/** Bounds what callers with made-up identities (gateway mode) can make the cache hold. */
const MAX_ENTRIES = 10_000;
/** Belt and braces for a listening connection silently cut by the network: nothing is kept longer. */
const MAX_AGE_MS = 60_000;
/** After a failed attempt to listen, look-ups read the table for this long before the next attempt. */
const RETRY_LISTEN_MS = 2_000;

export function createPermissionCache(db: Db, log: { warn(obj: object, msg: string): void }): PermissionCache {
  const entries = new Map<string, { types: string[]; until: number }>();
  let generation = 0;
  let listening = false;
  let closed = false;
  let pool: pg.Pool | undefined;
  let listener: pg.PoolClient | undefined;
  let connecting: Promise<void> | undefined;
  let retryAt = 0;

  const forget = () => {
    generation += 1;
    entries.clear();
  };

  function lost(client: pg.PoolClient, err?: Error) {
    if (listener !== client) return;
    listener = undefined;
    listening = false;
    forget();
    client.release(err ?? true);
    if (!closed) log.warn({ err: err?.message }, 'record locator: permission notifications lost; reading permissions from the store until they are back');
  }

  async function listen() {
    pool ??= db.openPool({ max: 1, allowExitOnIdle: true });
    const client = await pool.connect();
    if (closed) {
      client.release();
      return;
    }
    listener = client;
    client.on('notification', forget);
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client));
    try {
      await client.query(`LISTEN ${PERMISSIONS_CHANGED}`);
    } catch (err) {
      lost(client, err as Error);
      throw err;
    }
    // Changes committed before LISTEN took effect were never notified: start from nothing.
    forget();
    listening = true;
  }

  function startListening() {
    if (closed || connecting || Date.now() < retryAt) return;
    connecting = listen()
      .catch(() => { retryAt = Date.now() + RETRY_LISTEN_MS; })
      .finally(() => { connecting = undefined; });
  }

  return {
    async pointerTypes(appId, organisation) {
      // An organisation (ODS[.extension]) has no NUL, so the key is unambiguous.
      const key = `${appId}\u0000${organisation}`;
      const now = Date.now();
      if (listening) {
        const hit = entries.get(key);
        if (hit && hit.until > now) return hit.types;
      } else {
        startListening();
      }
      const readAt = generation;
      const types = await pointerTypesFor(db, appId, organisation);
      if (listening && readAt === generation) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, { types, until: now + MAX_AGE_MS });
      }
      return types;
    },
    forget,
    async close() {
      closed = true;
      listening = false;
      await connecting;
      if (listener) {
        const client = listener;
        listener = undefined;
        client.release();
      }
      await pool?.end();
      pool = undefined;
    },
  };
}
