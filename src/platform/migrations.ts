import type { MigrationSet } from './db/migrate.js';
import { auditMigrations } from './audit/migrations.js';

/** The platform's own tables: settings, the event outbox, shared rate-limit windows, callers' last writes and the audit trail. */
export const platformMigrations: MigrationSet[] = [
  {
    schema: 'platform',
    migrations: [
      {
        id: '001_settings_outbox',
        sql: `
          CREATE TABLE platform.settings (key text PRIMARY KEY, value text NOT NULL);
          CREATE TABLE platform.outbox (
            id bigserial PRIMARY KEY,
            event_type text NOT NULL,
            source text NOT NULL,
            nhs_number text,
            payload jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            attempts int NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz
          );
          CREATE INDEX outbox_pending ON platform.outbox (next_attempt_at) WHERE delivered_at IS NULL;`,
      },
      {
        // The event relay claims unrouted rows in id order, prunes routed ones by age and replays by time.
        id: '002_outbox_relay_indexes',
        sql: `
          CREATE INDEX outbox_unrouted ON platform.outbox (id) WHERE delivered_at IS NULL;
          CREATE INDEX outbox_routed_at ON platform.outbox (delivered_at) WHERE delivered_at IS NOT NULL;
          CREATE INDEX outbox_created_at ON platform.outbox (created_at);`,
      },
      {
        // Per-application request counts shared by every process (see http/rate-limit.ts).
        // Unlogged: a count lost in a crash only forgives one second of requests.
        id: '003_rate_windows',
        sql: `
          CREATE UNLOGGED TABLE platform.rate_windows (
            app_id text NOT NULL,
            second bigint NOT NULL,
            count int NOT NULL,
            PRIMARY KEY (app_id, second)
          );`,
      },
      {
        // Each caller's last write, as a WAL position, for read-your-writes with a read replica
        // (see db/caller-commits.ts): one row per recent caller and process, so processes never
        // wait on each other's row locks.
        id: '004_caller_commits',
        sql: `
          CREATE TABLE platform.caller_commits (
            caller text NOT NULL,
            process uuid NOT NULL,
            lsn pg_lsn NOT NULL,
            at timestamptz NOT NULL,
            PRIMARY KEY (caller, process)
          );`,
      },
      {
        // Request counts per minute and route, added to by every process (see http/traffic-minutes.ts):
        // the console's overview charts the whole Spine's last hour. Unlogged: figures, not records.
        id: '005_traffic_minutes',
        sql: `
          CREATE UNLOGGED TABLE platform.traffic_minutes (
            minute timestamptz NOT NULL,
            route text NOT NULL,
            requests bigint NOT NULL,
            server_errors bigint NOT NULL,
            latency_seconds double precision NOT NULL,
            buckets double precision[] NOT NULL,
            PRIMARY KEY (minute, route)
          );`,
      },
      {
        // A statement of several writes that must all happen as expected or none (db/write-batch.ts
        // guards): its final SELECT calls this, which undoes the whole statement when they did not.
        id: '006_expect_writes',
        sql: `
          CREATE FUNCTION platform.expect_writes(as_expected boolean) RETURNS boolean LANGUAGE plpgsql AS $$
          BEGIN
            IF NOT as_expected THEN
              RAISE EXCEPTION 'a guarded write did not write the rows it expected: the statement is undone' USING ERRCODE = 'OS409';
            END IF;
            RETURN true;
          END $$;`,
      },
      {
        // No query reads the outbox by next_attempt_at (the relay claims unrouted rows in id order,
        // outbox_unrouted): the index only cost every event an index entry and every routing a dead one.
        id: '007_outbox_drop_pending_index',
        sql: `DROP INDEX IF EXISTS platform.outbox_pending;`,
      },
    ],
  },
  ...auditMigrations,
];
