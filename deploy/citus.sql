-- OpenSpine on Citus: run once, on the coordinator, on a database that `openspine migrate --contract`
-- has brought up to date (docs/citus.md says when and how). The classification it follows is
-- deploy/citus-tables.json; test/citus-ready.test.ts runs this script against the migrated schema
-- with stand-ins for the Citus functions, which make Citus's own key checks.
--
-- Before: CREATE EXTENSION citus; SELECT citus_set_coordinator_host('<coordinator>', 5432);
-- and citus_add_node(...) for each worker.

-- The contract steps remove the indexes that are unique on an id alone, which Citus refuses.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE (schemaname, indexname) IN
      (('record_locator', 'pointers_id'), ('prescriptions', 'prescriptions_short_form_id'),
       ('consent', 'consents_id'), ('consent', 'versions_version_id'))) THEN
    RAISE EXCEPTION 'run `openspine migrate --contract` first: the contract steps have not been applied';
  END IF;
END $$;

-- Reference tables: small directory and identity data, a full copy on every node, so any shard
-- can join to them. Referenced tables before the tables that refer to them.
SELECT create_reference_table('platform.settings');
SELECT create_reference_table('directory.organisations');
SELECT create_reference_table('directory.devices');
SELECT create_reference_table('directory.endpoints');
SELECT create_reference_table('directory.mesh_mailboxes');
SELECT create_reference_table('directory.mesh_workflows');
SELECT create_reference_table('directory.signing_certificates');
SELECT create_reference_table('directory.postcode_areas');
SELECT create_reference_table('identity.applications');
SELECT create_reference_table('identity.users');
SELECT create_reference_table('identity.role_profiles');
SELECT create_reference_table('identity.trusted_issuers');
SELECT create_reference_table('record_locator.permissions');

-- Patient-scoped tables: distributed by NHS number, all in one co-location group, so one
-- patient's demographics, pointers, consents and prescriptions sit in the same shard and a
-- statement naming one NHS number reaches one node.
SELECT create_distributed_table('demographics.patients', 'nhs_number');
SELECT create_distributed_table('demographics.patient_versions', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('demographics.coverages', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('demographics.historic_names', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('demographics.historic_postcodes', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('demographics.historic_telecoms', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('demographics.related_persons', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('record_locator.pointers', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('consent.consents', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('consent.versions', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('prescriptions.prescriptions', 'nhs_number', colocate_with => 'demographics.patients');
SELECT create_distributed_table('prescriptions.history', 'nhs_number', colocate_with => 'demographics.patients');

-- Locators (id -> NHS number) for ids unique across patients and read without the NHS number:
-- distributed by the id, each in a group of its own (they never join the patient tables; a read
-- by id is one single-shard lookup, then one single-shard read by NHS number).
SELECT create_distributed_table('record_locator.pointer_ids', 'id', colocate_with => 'none');
SELECT create_distributed_table('prescriptions.short_form_ids', 'short_form_id', colocate_with => 'none');

-- Everything else is not patient-scoped and stays on the coordinator, as Citus local tables so
-- that a transaction may write them beside the distributed ones (the outbox event with a
-- pointer, the audit record with a read). Tables linked by foreign keys go together. Left as
-- plain PostgreSQL tables: platform.migrations (the migrator's own) and platform.rate_windows
-- (unlogged counters, only ever written alone).
SELECT citus_add_local_table_to_metadata('platform.outbox');
SELECT citus_add_local_table_to_metadata('audit.events');
SELECT citus_add_local_table_to_metadata('audit.chain_head');
SELECT citus_add_local_table_to_metadata('audit.pending');
SELECT citus_add_local_table_to_metadata('identity.used_jtis');
SELECT citus_add_local_table_to_metadata('identity.used_id_tokens');
SELECT citus_add_local_table_to_metadata('identity.demo_authorization_codes');
SELECT citus_add_local_table_to_metadata('messaging.messages', cascade_via_foreign_keys => true);
SELECT citus_add_local_table_to_metadata('messaging.body_segments');
SELECT citus_add_local_table_to_metadata('messaging.auth_nonces');
SELECT citus_add_local_table_to_metadata('messaging.inbox_positions');
SELECT citus_add_local_table_to_metadata('events.subscriptions');
SELECT citus_add_local_table_to_metadata('events.deliveries');
SELECT citus_add_local_table_to_metadata('consent.bulk_checks');
SELECT citus_add_local_table_to_metadata('export.jobs', cascade_via_foreign_keys => true);
SELECT citus_add_local_table_to_metadata('export.segments');
SELECT citus_add_local_table_to_metadata('prescriptions.replays');
SELECT citus_add_local_table_to_metadata('demographics.idempotent_requests');
SELECT citus_add_local_table_to_metadata('console.login_attempts');
SELECT citus_add_local_table_to_metadata('console.sessions');
