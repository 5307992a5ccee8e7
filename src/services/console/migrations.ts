import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * Console sessions live in the database, so any API process behind a load balancer serves any
 * request. Only hashes of the session id and of the login state are stored: a copy of the table
 * does not let anyone act as a signed-in user.
 */
const INIT = `
CREATE TABLE console.sessions (
  id_hash text PRIMARY KEY,
  person jsonb NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON console.sessions (expires_at);

CREATE TABLE console.login_attempts (
  state_hash text PRIMARY KEY,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX login_attempts_by_expiry ON console.login_attempts (expires_at);
`;

export const consoleMigrations: MigrationSet = { schema: 'console', migrations: [{ id: '001_init', sql: INIT }] };
