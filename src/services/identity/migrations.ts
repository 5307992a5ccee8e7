import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * The identity schema: applications and their public keys, users and their role profiles, trusted
 * ID-token issuers, and the used client-assertion `jti`s (replay protection that holds across
 * every API process on the database).
 */
export const identityMigrations: MigrationSet[] = [
  {
    schema: 'identity',
    migrations: [
      {
        id: '001_init',
        sql: `
          CREATE TABLE identity.applications (
            app_id uuid PRIMARY KEY,
            api_key text NOT NULL UNIQUE,
            name text NOT NULL,
            ods_code text NOT NULL,
            -- The app's registered public keys (a JWKS document); NHS England takes a JWKS URL,
            -- we keep the set inline so a Spine needs no outbound calls.
            jwks jsonb NOT NULL,
            activities text[] NOT NULL,
            rate_limit integer NOT NULL CHECK (rate_limit > 0),
            -- 'demo' or 'admin' for the apps seedDemo makes: one each, whichever process gets there first.
            demo_slot text UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
          );

          CREATE TABLE identity.used_jtis (
            api_key text NOT NULL,
            jti text NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (api_key, jti)
          );
          CREATE INDEX used_jtis_expiry ON identity.used_jtis (expires_at);

          CREATE TABLE identity.users (
            user_id text PRIMARY KEY,
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          );

          CREATE TABLE identity.role_profiles (
            role_profile_id text PRIMARY KEY,
            user_id text NOT NULL REFERENCES identity.users (user_id),
            ods_code text NOT NULL,
            role_code text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          );
          CREATE INDEX role_profiles_user ON identity.role_profiles (user_id);

          CREATE TABLE identity.trusted_issuers (
            issuer text PRIMARY KEY,
            jwks jsonb NOT NULL,
            -- Only the embedded demo issuer has a private key: it signs demo ID tokens.
            private_jwk jsonb,
            created_at timestamptz NOT NULL DEFAULT now()
          );`,
      },
      {
        // ID tokens are bearer credentials for a user: an issuer names the clients it issued them to
        // (`aud`), and each one is exchanged at most once (its `jti`, kept until it expires).
        id: '002_id_token_audience_and_replay',
        sql: `
          ALTER TABLE identity.trusted_issuers ADD COLUMN client_ids text[] NOT NULL DEFAULT '{}';

          CREATE TABLE identity.used_id_tokens (
            issuer text NOT NULL,
            jti text NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (issuer, jti)
          );
          CREATE INDEX used_id_tokens_expiry ON identity.used_id_tokens (expires_at);`,
      },
      {
        // The demo issuer's OpenID Connect authorization-code flow (the console signs in with it):
        // a code is single-use, short-lived, bound to its client, redirect URI and PKCE challenge,
        // and only its hash is stored.
        id: '003_demo_authorization_codes',
        sql: `
          CREATE TABLE identity.demo_authorization_codes (
            code_hash text PRIMARY KEY,
            client_id text NOT NULL,
            redirect_uri text NOT NULL,
            code_challenge text NOT NULL,
            id_token text NOT NULL,
            expires_at timestamptz NOT NULL
          );
          CREATE INDEX demo_authorization_codes_expiry ON identity.demo_authorization_codes (expires_at);`,
      },
      {
        // An application disabled from the console: no token, and the tokens it holds are refused
        // (see revocation.ts). A partial index keeps the list every process polls cheap to read.
        id: '004_application_disabled',
        sql: `
          ALTER TABLE identity.applications ADD COLUMN disabled_at timestamptz;
          CREATE INDEX applications_disabled ON identity.applications (app_id) WHERE disabled_at IS NOT NULL;`,
      },
      {
        // The client id an application signs its users in to CIS2 with: an ID token is exchanged
        // only by the application its 'aud' names. NULL means the API key. The index keeps two
        // applications from ever answering to the same client id (a named one or another's key).
        // The demo app's ID tokens have always been addressed to 'openspine-demo' (demo-issuer.ts).
        id: '005_application_cis2_client_id',
        sql: `
          ALTER TABLE identity.applications ADD COLUMN cis2_client_id text;
          UPDATE identity.applications SET cis2_client_id = 'openspine-demo' WHERE demo_slot = 'demo';
          CREATE UNIQUE INDEX applications_cis2_client_id ON identity.applications ((coalesce(cis2_client_id, api_key)));`,
      },
      {
        // What an issuer is trusted to say: staff and their role profiles (CIS2), or a patient's
        // verified NHS number (NHS login). Its kind, not the claims of a token, decides which.
        id: '006_trusted_issuer_kind',
        sql: `
          ALTER TABLE identity.trusted_issuers ADD COLUMN kind text NOT NULL DEFAULT 'cis2' CHECK (kind IN ('cis2', 'nhs-login'));`,
      },
    ],
  },
];
