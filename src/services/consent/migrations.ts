import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * The opt-out flag, as NDOP keeps it: one Consent resource per patient, policy and purpose, with
 * every version kept (`_history`). Patient-scoped, so the NHS number leads every key (Citus-ready,
 * DESIGN.md). `versions` is append-only and is what the opt-out check reads: a version takes effect
 * at its `Consent.dateTime` (`effective_from`), so a check at time T sees the newest version
 * effective by T. Bulk checks are their own small table, keyed by the MESH message they answer.
 * Never edit a migration once it is on main; add a new id.
 */
export const consentMigrations: MigrationSet = {
  schema: 'consent',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE consent.consents (
          nhs_number text NOT NULL,
          id uuid NOT NULL,
          -- policy.uri and purpose code: NDOP's duplicate rule is one Consent per patient/policy/purpose.
          policy_uri text NOT NULL,
          purpose text NOT NULL,
          version_no integer NOT NULL,
          version_id uuid NOT NULL,
          status text NOT NULL CHECK (status IN ('active', 'inactive')),
          effective_from timestamptz NOT NULL,
          resource jsonb NOT NULL,
          last_updated timestamptz NOT NULL,
          PRIMARY KEY (nhs_number, id)
        );
        CREATE UNIQUE INDEX consents_id ON consent.consents (id);
        CREATE UNIQUE INDEX consents_patient_policy_purpose ON consent.consents (nhs_number, policy_uri, purpose);

        CREATE TABLE consent.versions (
          nhs_number text NOT NULL,
          id uuid NOT NULL,
          version_no integer NOT NULL,
          version_id uuid NOT NULL,
          status text NOT NULL CHECK (status IN ('active', 'inactive')),
          effective_from timestamptz NOT NULL,
          -- The channel (NDOP-OptOutSource-1 code) and who set it (the caller, as audited).
          source text NOT NULL,
          set_by jsonb NOT NULL,
          resource jsonb NOT NULL,
          recorded_at timestamptz NOT NULL,
          PRIMARY KEY (nhs_number, id, version_no)
        );
        CREATE UNIQUE INDEX versions_version_id ON consent.versions (version_id);
        CREATE INDEX versions_effective ON consent.versions (nhs_number, effective_from);

        -- Bulk checks sent over MESH: one row per request message, claimed by one worker at a time.
        CREATE TABLE consent.bulk_checks (
          message_id text PRIMARY KEY,
          mailbox_id text NOT NULL,
          sender text NOT NULL,
          local_id text,
          subject text,
          state text NOT NULL CHECK (state IN ('received', 'done')),
          -- The "job created" message went back to the sender.
          announced boolean NOT NULL DEFAULT false,
          claimed_until timestamptz,
          numbers_in bigint,
          numbers_out bigint,
          outcome text,
          created_at timestamptz NOT NULL DEFAULT now(),
          done_at timestamptz
        );
      `,
    },
    {
      // Citus-ready (deploy/citus.md): consents are distributed by NHS number, so no index may be
      // unique on a Consent's id or version id alone. Both are UUIDs the server assigns, so they
      // need no index to stay unique; reads by id alone (Consent/{id}) keep an index, and under
      // Citus ask every shard. Expand: the plain indexes beside the unique ones.
      id: '002_id_indexes',
      sql: `
        CREATE INDEX consents_by_id ON consent.consents (id);
        CREATE INDEX versions_by_version_id ON consent.versions (version_id);
      `,
    },
    {
      // Contract: the unique indexes go (nothing relied on them: ON CONFLICT names the patient,
      // policy and purpose).
      id: '003_id_indexes_contract',
      contract: true,
      sql: `
        DROP INDEX consent.consents_id;
        DROP INDEX consent.versions_version_id;
      `,
    },
  ],
};
