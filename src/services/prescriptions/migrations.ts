import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * Prescriptions are patient-scoped: the NHS number leads the primary key (DESIGN.md), and the
 * short-form id is unique on its own (dispensers find a prescription by it). Each state change
 * appends to `history` (the tracker's status history); `replays` holds the first answer to each
 * (application, X-Request-ID) so a retried request returns it and does nothing twice, for the
 * retention window (`epsReplayRetentionHours`).
 * Never edit a migration once committed; add a new id.
 */
export const prescriptionsMigrations: MigrationSet = {
  schema: 'prescriptions',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE prescriptions.prescriptions (
          nhs_number text NOT NULL,
          short_form_id text NOT NULL,
          long_form_id text,
          prescriber_ods text NOT NULL,
          author text,
          nominated_pharmacy text,
          course_of_therapy text,
          -- lifecycle.ts PrescriptionState
          status text NOT NULL,
          dispenser text,
          dispense_notifications integer NOT NULL DEFAULT 0,
          pending_cancellation_by text,
          item_ids text[] NOT NULL,
          cancelled_items text[] NOT NULL DEFAULT '{}',
          -- the signed prescription-order Bundle, as received
          order_bundle jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          PRIMARY KEY (nhs_number, short_form_id)
        );
        CREATE UNIQUE INDEX prescriptions_short_form_id ON prescriptions.prescriptions (short_form_id);
        -- nominated release: the oldest prescriptions waiting for a pharmacy
        CREATE INDEX prescriptions_nominated ON prescriptions.prescriptions (nominated_pharmacy, created_at)
          WHERE status = 'to-be-dispensed';

        CREATE TABLE prescriptions.history (
          nhs_number text NOT NULL,
          short_form_id text NOT NULL,
          seq bigserial NOT NULL,
          at timestamptz NOT NULL,
          event text NOT NULL,
          status text NOT NULL,
          actor_ods text,
          actor_user text,
          request_id text,
          -- the message that made the change (dispense notification, claim, task), when there is one
          message jsonb,
          PRIMARY KEY (nhs_number, short_form_id, seq)
        );

        CREATE TABLE prescriptions.replays (
          app_id text NOT NULL,
          request_id text NOT NULL,
          operation text NOT NULL,
          status_code integer NOT NULL,
          body jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (app_id, request_id)
        );
      `,
    },
    {
      // Citus-ready (deploy/citus.md): prescriptions are distributed by NHS number, so no index may
      // be unique on the short-form id alone, yet it is chosen by the prescriber, must be unique,
      // and dispensers find a prescription by it alone. The locator maps each short-form id to the
      // NHS number (its primary key keeps ids unique). Expand: the table, filled from the
      // prescriptions, and a transition trigger so the previous release's writes keep it whole.
      id: '002_short_form_ids',
      sql: `
        CREATE TABLE prescriptions.short_form_ids (
          short_form_id text PRIMARY KEY,
          nhs_number text NOT NULL
        );
        INSERT INTO prescriptions.short_form_ids (short_form_id, nhs_number)
          SELECT short_form_id, nhs_number FROM prescriptions.prescriptions;

        CREATE FUNCTION prescriptions.short_form_ids_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO prescriptions.short_form_ids (short_form_id, nhs_number) VALUES (NEW.short_form_id, NEW.nhs_number)
              ON CONFLICT DO NOTHING;
            RETURN NEW;
          END IF;
          DELETE FROM prescriptions.short_form_ids WHERE short_form_id = OLD.short_form_id AND nhs_number = OLD.nhs_number;
          RETURN OLD;
        END $$;
        CREATE TRIGGER short_form_ids_follow AFTER INSERT OR DELETE ON prescriptions.prescriptions
          FOR EACH ROW EXECUTE FUNCTION prescriptions.short_form_ids_follow();
      `,
    },
    {
      // Contract, once no process of the previous release runs.
      id: '003_short_form_ids_contract',
      contract: true,
      sql: `
        DROP TRIGGER short_form_ids_follow ON prescriptions.prescriptions;
        DROP FUNCTION prescriptions.short_form_ids_follow();
        DROP INDEX prescriptions.prescriptions_short_form_id;
      `,
    },
    {
      // Per-item dispensing states, the claim time and repeat-dispensing issues (lifecycle.ts
      // PrescriptionState: items, itemsBefore, pendingCancellationItems, claimedAt, repeat) as
      // jsonb; nullable, so a row the previous release wrote has none and its items are read from
      // its status and cancelled_items. `valid_until`: the end of a repeat prescription's validity
      // period, when its issues expire (the expiry sweep's index). `issue`: the repeat issue a
      // history entry is about (1 for the previous release's).
      id: '004_items_and_repeat_issues',
      sql: `
        ALTER TABLE prescriptions.prescriptions ADD COLUMN lifecycle jsonb;
        ALTER TABLE prescriptions.prescriptions ADD COLUMN valid_until timestamptz;
        CREATE INDEX prescriptions_expiring ON prescriptions.prescriptions (valid_until)
          WHERE valid_until IS NOT NULL AND status IN ('to-be-dispensed', 'with-dispenser', 'with-dispenser-active');
        ALTER TABLE prescriptions.history ADD COLUMN issue integer;
      `,
    },
    {
      // Acute prescriptions expire too (validity.ts): rows written before this have no
      // `valid_until`. Their appropriate date and controlled-drug schedule are in the order, not
      // the columns, so they are given 6 months from their arrival (a schedule 2–4 controlled drug
      // among them too: 6 months, not 28 days). The expiry index covers them as it does repeat ones.
      id: '005_acute_validity',
      sql: `
        UPDATE prescriptions.prescriptions SET valid_until = created_at + interval '6 months'
          WHERE valid_until IS NULL AND course_of_therapy IS DISTINCT FROM 'continuous-repeat-dispensing'
            AND status IN ('to-be-dispensed', 'with-dispenser', 'with-dispenser-active');
      `,
    },
    {
      // The documents the service keeps only to give back (the signed order, the message of a
      // change, the first answer to a request) as text, not jsonb: PostgreSQL parses and re-encodes
      // every jsonb value it stores, which cost about 0.15 ms per order and per answer (the service's README),
      // and a replayed answer is now the first one byte for byte. Expand: the text columns, the
      // jsonb ones nullable, and triggers that fill the jsonb column of a row this release writes,
      // because the previous release reads only that. Rows the previous release wrote have only
      // jsonb: the store reads either.
      id: '006_documents_as_text',
      sql: `
        ALTER TABLE prescriptions.prescriptions ADD COLUMN order_text text;
        ALTER TABLE prescriptions.prescriptions ALTER COLUMN order_bundle DROP NOT NULL;
        ALTER TABLE prescriptions.history ADD COLUMN message_text text;
        ALTER TABLE prescriptions.replays ADD COLUMN answer text;
        ALTER TABLE prescriptions.replays ALTER COLUMN body DROP NOT NULL;

        CREATE FUNCTION prescriptions.order_as_jsonb() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.order_bundle := coalesce(NEW.order_bundle, NEW.order_text::jsonb); RETURN NEW; END $$;
        CREATE TRIGGER order_as_jsonb BEFORE INSERT ON prescriptions.prescriptions
          FOR EACH ROW EXECUTE FUNCTION prescriptions.order_as_jsonb();
        CREATE FUNCTION prescriptions.message_as_jsonb() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.message := coalesce(NEW.message, NEW.message_text::jsonb); RETURN NEW; END $$;
        CREATE TRIGGER message_as_jsonb BEFORE INSERT ON prescriptions.history
          FOR EACH ROW EXECUTE FUNCTION prescriptions.message_as_jsonb();
        CREATE FUNCTION prescriptions.answer_as_jsonb() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.body := coalesce(NEW.body, NEW.answer::jsonb); RETURN NEW; END $$;
        CREATE TRIGGER answer_as_jsonb BEFORE INSERT ON prescriptions.replays
          FOR EACH ROW EXECUTE FUNCTION prescriptions.answer_as_jsonb();
      `,
    },
    {
      // Contract, once no process of the previous release runs: this release's rows keep text alone.
      id: '007_documents_as_text_contract',
      contract: true,
      sql: `
        DROP TRIGGER order_as_jsonb ON prescriptions.prescriptions;
        DROP FUNCTION prescriptions.order_as_jsonb();
        DROP TRIGGER message_as_jsonb ON prescriptions.history;
        DROP FUNCTION prescriptions.message_as_jsonb();
        DROP TRIGGER answer_as_jsonb ON prescriptions.replays;
        DROP FUNCTION prescriptions.answer_as_jsonb();
      `,
    },
    {
      // Kept answers are forgotten after the retention window (handlers/replay-retention.ts): the
      // pruner deletes the oldest by a range scan of this index, not a scan of the whole table.
      // Built in the migration's transaction, so state changes wait on it once, for as long as it
      // takes to index the answers kept until now (never pruned before this release).
      id: '008_replays_created_at',
      sql: `
        CREATE INDEX replays_created_at ON prescriptions.replays (created_at);
      `,
    },
    {
      // The large documents (each over 2 kB is compressed) in lz4 where the server is built with it
      // (Debian's and most distributions' are; the embedded PostgreSQL has pglz alone): pglz_compress
      // was 12% of PostgreSQL's CPU in the EPS bench (perf), and on PostgreSQL 15 lz4 stored 26 kB
      // release answers in a third of pglz's time and in less space (bench/README.md). Values
      // already stored keep their compression; new ones take this.
      id: '009_document_compression',
      sql: `
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
            ALTER TABLE prescriptions.prescriptions ALTER COLUMN order_text SET COMPRESSION lz4;
            ALTER TABLE prescriptions.history ALTER COLUMN message_text SET COMPRESSION lz4;
            ALTER TABLE prescriptions.replays ALTER COLUMN answer SET COMPRESSION lz4;
          END IF;
        END $$;
      `,
    },
    {
      // The digest of each kept answer's request body (caller.ts): an X-Request-ID sent again with
      // another body is refused, where it was told the first request's answer and its own was lost.
      id: '010_replays_request_digest',
      sql: `
        ALTER TABLE prescriptions.replays ADD COLUMN request_digest text;
      `,
    },
  ],
};
