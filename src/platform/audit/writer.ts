import type { Db } from '../db/pool.js';
import type { AuditEntry } from './entry.js';

/**
 * Services hand audit entries to this writer; `record` resolves once the entry is durable, and a
 * response must await it before it is sent.
 */
export interface AuditWriter {
  record(entry: AuditEntry): Promise<void>;
  /** Flushes anything pending; called on shutdown. */
  close(): Promise<void>;
}

export function createAuditWriter(db: Db): AuditWriter {
  return {
    async record(entry) {
      await db.query(
        `INSERT INTO audit.events (request_id, action, resource, nhs_numbers, outcome, app_id, app_name, user_id,
           role_profile_id, role_code, ods_code, client_address, detail)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [entry.requestId, entry.action, entry.resource ?? null, entry.nhsNumbers, entry.outcome, entry.appId ?? null,
          entry.appName ?? null, entry.userId ?? null, entry.roleProfileId ?? null, entry.roleCode ?? null,
          entry.odsCode ?? null, entry.clientAddress ?? null, entry.detail ?? null],
      );
    },
    async close() {},
  };
}
