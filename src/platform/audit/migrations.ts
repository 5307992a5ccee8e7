import type { MigrationSet } from '../db/migrate.js';

/**
 * The audit trail: owned by the platform's audit writer, read by the audit service.
 *
 * - `seq` is numbered by the writer from the chain head (not a sequence), so it is gapless: a
 *   deleted record shows as a missing number, and rolled-back flushes leave no holes.
 * - `recorded_at` is set by the application with millisecond precision, so the ISO string that was
 *   hashed is exactly what comes back.
 * - `chain_head` is one row every flush moves (only from where the writer last saw it): several processes on one database
 *   append to one chain in turn.
 * - Triggers make the table append-only: UPDATE, DELETE and TRUNCATE raise, and the head can only
 *   move forward, onto a record that exists (checked at commit).
 * - `pending` (002) holds entries a write recorded in its own transaction, so the write and its
 *   entry commit together; the writer moves them into the chain (and deletes them) shortly after.
 */
export const auditMigrations: MigrationSet[] = [
  {
    schema: 'audit',
    migrations: [
      {
        id: '001_events',
        sql: `
          CREATE TABLE audit.events (
            seq bigint PRIMARY KEY CHECK (seq > 0),
            recorded_at timestamptz NOT NULL,
            request_id text NOT NULL,
            action text NOT NULL,
            resource text,
            nhs_numbers text[] NOT NULL,
            outcome text NOT NULL,
            app_id text, app_name text, user_id text, role_profile_id text, role_code text, ods_code text,
            client_address text,
            detail jsonb,
            prev_hash text NOT NULL,
            hash text NOT NULL
          );
          CREATE INDEX audit_events_nhs ON audit.events USING gin (nhs_numbers);
          CREATE INDEX audit_events_user ON audit.events (user_id, seq) WHERE user_id IS NOT NULL;
          CREATE INDEX audit_events_app ON audit.events (app_id, seq);
          CREATE INDEX audit_events_recorded_at ON audit.events (recorded_at);

          CREATE TABLE audit.chain_head (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            seq bigint NOT NULL,
            hash text NOT NULL
          );
          INSERT INTO audit.chain_head (seq, hash) VALUES (0, repeat('0', 64));

          CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            RAISE EXCEPTION 'audit.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
              USING ERRCODE = 'insufficient_privilege';
          END $$;
          CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
            FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
          CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
            FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
          CREATE TRIGGER chain_head_no_delete BEFORE DELETE ON audit.chain_head
            FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
          CREATE TRIGGER chain_head_no_truncate BEFORE TRUNCATE ON audit.chain_head
            FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

          CREATE FUNCTION audit.head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.seq <= OLD.seq THEN
              RAISE EXCEPTION 'audit.chain_head may only move forward' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
          END $$;
          CREATE TRIGGER chain_head_forward BEFORE UPDATE ON audit.chain_head
            FOR EACH ROW EXECUTE FUNCTION audit.head_moves_forward();

          -- Checked at commit, so the writer can insert a batch and move the head in one statement.
          CREATE FUNCTION audit.head_points_at_a_record() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NOT EXISTS (SELECT 1 FROM audit.events WHERE seq = NEW.seq AND hash = NEW.hash) THEN
              RAISE EXCEPTION 'audit.chain_head must point at an existing record' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
          END $$;
          CREATE CONSTRAINT TRIGGER chain_head_on_a_record AFTER UPDATE ON audit.chain_head
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit.head_points_at_a_record();`,
      },
      {
        id: '002_pending',
        // The entry as the writer will chain it (its JSON, recorded_at fixed when it was made); a
        // row lives from its write's commit to the writer's next chaining, which deletes it.
        sql: `CREATE TABLE audit.pending (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, record text NOT NULL);`,
      },
    ],
  },
];
