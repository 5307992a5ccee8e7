import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * Pointers are patient-scoped: the NHS number leads the primary key (Citus-ready, DESIGN.md). The
 * id is also unique on its own, as NRL ids are global. Permissions are small reference data.
 * Never edit a migration once committed; add a new id.
 */
export const recordLocatorMigrations: MigrationSet = {
  schema: 'record_locator',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE record_locator.pointers (
          nhs_number text NOT NULL,
          id text NOT NULL,
          -- custodian.identifier.value: ODS code, or ODS.extension
          custodian text NOT NULL,
          custodian_ods text NOT NULL,
          -- system|code of type.coding[0] and category[0].coding[0]
          type text NOT NULL,
          category text NOT NULL,
          resource jsonb NOT NULL,
          created_on timestamptz NOT NULL DEFAULT now(),
          updated_on timestamptz,
          PRIMARY KEY (nhs_number, id)
        );
        CREATE UNIQUE INDEX pointers_id ON record_locator.pointers (id);
        CREATE INDEX pointers_custodian ON record_locator.pointers (custodian, id);

        -- Pointer types an application may produce and consume when acting for an organisation.
        CREATE TABLE record_locator.permissions (
          app_id text NOT NULL,
          -- ODS code, or ODS.extension
          organisation text NOT NULL,
          pointer_types text[] NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (app_id, organisation)
        );
      `,
    },
  ],
};
