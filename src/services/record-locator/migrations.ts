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
    {
      // Citus-ready (deploy/citus.md): pointers are distributed by NHS number, so no index may be
      // unique on the id alone, yet ids are global (`{ODS}-{uuid}`, or chosen by the producer) and
      // read by id alone. The locator maps each id to its pointer's NHS number: its primary key
      // keeps ids unique across patients, and a read by id finds the NHS number first, then the
      // pointer by its full key. Expand: the table, filled from the pointers, and a transition
      // trigger so that processes of the previous release, which write pointers only, keep it whole.
      id: '002_pointer_ids',
      sql: `
        CREATE TABLE record_locator.pointer_ids (
          id text PRIMARY KEY,
          nhs_number text NOT NULL
        );
        INSERT INTO record_locator.pointer_ids (id, nhs_number) SELECT id, nhs_number FROM record_locator.pointers;

        CREATE FUNCTION record_locator.pointer_ids_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO record_locator.pointer_ids (id, nhs_number) VALUES (NEW.id, NEW.nhs_number) ON CONFLICT DO NOTHING;
            RETURN NEW;
          END IF;
          DELETE FROM record_locator.pointer_ids WHERE id = OLD.id AND nhs_number = OLD.nhs_number;
          RETURN OLD;
        END $$;
        CREATE TRIGGER pointer_ids_follow AFTER INSERT OR DELETE ON record_locator.pointers
          FOR EACH ROW EXECUTE FUNCTION record_locator.pointer_ids_follow();
      `,
    },
    {
      // Contract, once no process of the previous release runs: every writer keeps the locator
      // itself, and nothing reads a pointer by its id alone any more.
      id: '003_pointer_ids_contract',
      contract: true,
      sql: `
        DROP TRIGGER pointer_ids_follow ON record_locator.pointers;
        DROP FUNCTION record_locator.pointer_ids_follow();
        DROP INDEX record_locator.pointers_id;
      `,
    },
    {
      // Permissions granted before ODS codes were upper-cased at the door were keyed as sent
      // ('y05868'); callers are now keyed in upper case, so such a row is never found. Expand: each
      // is copied to its upper-case key, the rows themselves kept for processes of the previous
      // release (which key callers as sent) until the contract step. Where the upper-case row is
      // already there it is kept as it is: it is the grant in force, and a migration does not widen
      // what an application may do today (merging would silently grant the lower-case row's types).
      // Where several spellings of one key are there and no upper-case row, the latest set wins, as
      // a set overwrites. Every permission cache is told (the notification goes out as this commits).
      id: '004_permissions_upper_case',
      sql: `
        INSERT INTO record_locator.permissions (app_id, organisation, pointer_types, updated_at)
        SELECT DISTINCT ON (app_id, upper(organisation)) app_id, upper(organisation), pointer_types, updated_at
          FROM record_locator.permissions
         WHERE organisation <> upper(organisation)
         ORDER BY app_id, upper(organisation), updated_at DESC, organisation
        ON CONFLICT (app_id, organisation) DO NOTHING;
        SELECT pg_notify('record_locator_permissions', '');
      `,
    },
    {
      // Contract, once no process of the previous release runs: the rows keyed in lower or mixed
      // case, which no caller reaches any more and the admin API (which upper-cases) cannot delete.
      // Not copied again first: an upper-case grant deleted since the expand stays deleted.
      id: '005_permissions_upper_case_contract',
      contract: true,
      sql: `
        DELETE FROM record_locator.permissions WHERE organisation <> upper(organisation);
        SELECT pg_notify('record_locator_permissions', '');
      `,
    },
  ],
};
