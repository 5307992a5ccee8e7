import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * FHIR Bulk Data exports: a job per kick-off, and its ndjson files stored as 1 MB segments so any
 * process can serve them (API processes are stateless). Files go when the job expires.
 * Never edit a migration once it is on main; add a new id.
 */
export const exportMigrations: MigrationSet = {
  schema: 'export',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE export.jobs (
          id uuid PRIMARY KEY,
          app_id text NOT NULL,
          request_url text NOT NULL,
          types text[] NOT NULL,
          since timestamptz,
          state text NOT NULL CHECK (state IN ('accepted', 'running', 'completed', 'failed', 'cancelled')),
          transaction_time timestamptz NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          claimed_until timestamptz,
          progress jsonb NOT NULL DEFAULT '{}',
          failure text,
          requested_by jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          completed_at timestamptz,
          expires_at timestamptz NOT NULL
        );
        CREATE INDEX jobs_waiting ON export.jobs (created_at) WHERE state IN ('accepted', 'running');
        CREATE INDEX jobs_expiry ON export.jobs (expires_at);

        CREATE TABLE export.files (
          job_id uuid NOT NULL REFERENCES export.jobs (id) ON DELETE CASCADE,
          file_no integer NOT NULL,
          type text NOT NULL,
          count bigint NOT NULL,
          bytes bigint NOT NULL,
          segments integer NOT NULL,
          PRIMARY KEY (job_id, file_no)
        );

        -- No foreign key: segments are written while the job runs, before its files are recorded.
        CREATE TABLE export.segments (
          job_id uuid NOT NULL,
          file_no integer NOT NULL,
          segment_no integer NOT NULL,
          data bytea NOT NULL,
          PRIMARY KEY (job_id, file_no, segment_no)
        );
      `,
    },
  ],
};
