import type { MigrationSet } from '../db/migrate.js';

/** The audit trail: owned by the platform's audit writer, read by the audit service. */
export const auditMigrations: MigrationSet[] = [
  {
    schema: 'audit',
    migrations: [
      {
        id: '001_events',
        sql: `
          CREATE TABLE audit.events (
            seq bigserial PRIMARY KEY,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            request_id text NOT NULL,
            action text NOT NULL,
            resource text,
            nhs_numbers text[] NOT NULL DEFAULT '{}',
            outcome text NOT NULL,
            app_id text, app_name text, user_id text, role_profile_id text, role_code text, ods_code text,
            client_address text,
            detail jsonb
          );
          CREATE INDEX audit_events_nhs ON audit.events USING gin (nhs_numbers);`,
      },
    ],
  },
];
