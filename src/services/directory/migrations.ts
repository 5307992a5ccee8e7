import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * The directory's reference tables. Small and read-mostly, so no foreign keys between them: seed data
 * and admin edits may name a parent organisation or an owner before it exists, as the real ODS does.
 * Never edit a migration once committed; add a new id.
 */
export const directoryMigrations: MigrationSet = {
  schema: 'directory',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE directory.organisations (
          ods_code text PRIMARY KEY,
          name text NOT NULL,
          role text NOT NULL CHECK (role IN ('gp-practice', 'nhs-trust', 'pharmacy', 'other')),
          parent_ods_code text,
          active boolean NOT NULL DEFAULT true,
          postcode text,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX organisations_role ON directory.organisations (role, ods_code);
        CREATE INDEX organisations_parent ON directory.organisations (parent_ods_code);

        CREATE TABLE directory.mesh_mailboxes (
          mailbox_id text PRIMARY KEY CHECK (mailbox_id = upper(mailbox_id)),
          mailbox_name text NOT NULL,
          ods_code text NOT NULL,
          org_code text NOT NULL,
          billing_entity text,
          password text NOT NULL,
          active boolean NOT NULL DEFAULT true,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX mesh_mailboxes_ods ON directory.mesh_mailboxes (ods_code);

        CREATE TABLE directory.mesh_workflows (
          workflow_id text PRIMARY KEY,
          senders text[] NOT NULL,
          receivers text[] NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX mesh_workflows_receivers ON directory.mesh_workflows USING gin (receivers);

        -- Accredited systems (SDS FHIR Device): one row per ASID.
        CREATE TABLE directory.devices (
          id uuid PRIMARY KEY,
          asid text NOT NULL UNIQUE,
          party_key text NOT NULL,
          owner_ods_code text NOT NULL,
          manufacturing_ods_code text,
          interactions text[] NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX devices_owner ON directory.devices (owner_ods_code);
        CREATE INDEX devices_interactions ON directory.devices USING gin (interactions);

        -- MHS endpoints (SDS FHIR Endpoint): one row per message handling service entry.
        CREATE TABLE directory.endpoints (
          id uuid PRIMARY KEY,
          party_key text NOT NULL,
          managing_ods_code text NOT NULL,
          address text NOT NULL,
          fqdn text NOT NULL,
          cpa_id text NOT NULL,
          mhs_id text NOT NULL,
          status text NOT NULL DEFAULT 'active',
          interactions text[] NOT NULL,
          reliability jsonb,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX endpoints_managing ON directory.endpoints (managing_ods_code);
        CREATE INDEX endpoints_interactions ON directory.endpoints USING gin (interactions);
      `,
    },
    {
      id: '002_signing_certificates',
      sql: `
        -- Prescribers' signing certificates (EPS): a prescription-order's signature must verify with
        -- one registered for its author (SDS user id), or one issued by a certificate registered
        -- for the subject '*' (a trusted CA).
        CREATE TABLE directory.signing_certificates (
          subject text NOT NULL,
          fingerprint text NOT NULL,
          certificate_pem text NOT NULL,
          registered_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (subject, fingerprint)
        );
      `,
    },
    {
      id: '003_postcode_areas',
      sql: `
        -- Areas of responsibility by postcode prefix (area, district, sector or unit): the ICB sub
        -- location and the local authority a patient's home postcode falls in (NEMS's postcode rules).
        CREATE TABLE directory.postcode_areas (
          kind text NOT NULL CHECK (kind IN ('icb-sub-location', 'local-authority')),
          prefix text NOT NULL,
          ods_code text NOT NULL,
          PRIMARY KEY (kind, prefix)
        );
        CREATE INDEX postcode_areas_org ON directory.postcode_areas (kind, ods_code);
      `,
    },
    {
      id: '004_postcode_standard_form',
      sql: `
        -- Organisations' postcodes in the standard form the directory now stores (upper case, outward
        -- code, one space, inward code: LS1 6AE), where they were kept as sent (LS16AE, ls1 6ae).
        UPDATE directory.organisations
           SET postcode = regexp_replace(upper(btrim(postcode)), '^([A-Z]{1,2}[0-9][0-9A-Z]?)\\s*([0-9][A-Z]{2})$', '\\1 \\2')
         WHERE upper(btrim(postcode)) ~ '^[A-Z]{1,2}[0-9][0-9A-Z]?\\s*[0-9][A-Z]{2}$'
           AND postcode IS DISTINCT FROM regexp_replace(upper(btrim(postcode)), '^([A-Z]{1,2}[0-9][0-9A-Z]?)\\s*([0-9][A-Z]{2})$', '\\1 \\2');
      `,
    },
  ],
};
