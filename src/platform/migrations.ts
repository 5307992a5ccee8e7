import type { MigrationSet } from './db/migrate.js';

/** The platform's own tables: settings, the event outbox and the audit trail. */
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
    ],
  },
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
