import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * Schema `demographics`. Every patient-scoped table has the NHS number first in its primary key and
 * in every join, so the schema distributes by patient (Citus) without a rewrite.
 *
 * - `patients`: the current version of each record (`resource` is the full FHIR Patient) with
 *   extracted search columns; superseded (merged) and invalidated numbers keep a row carrying their
 *   status, so a read can follow or refuse them.
 * - `patient_versions`: every earlier version, append-only (the current one lives in `patients`).
 * - `historic_names`, `historic_postcodes`, `historic_telecoms`: previous and alternative names,
 *   postcodes, emails and phones for matching.
 * - `related_persons`, `idempotent_requests`; `nhs_number_stems` allocates new NHS numbers.
 * - `coverages`: each patient's EHIC, every version (see 008).
 */
const INIT = `
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE demographics.patients (
  nhs_number text PRIMARY KEY CHECK (nhs_number ~ '^[0-9]{10}$'),
  version_id integer NOT NULL DEFAULT 1,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'invalidated')),
  superseded_by text CHECK ((status = 'superseded') = (superseded_by IS NOT NULL)),
  restricted boolean NOT NULL DEFAULT false,
  resource jsonb NOT NULL,
  family text NOT NULL DEFAULT '',
  given text[] NOT NULL DEFAULT '{}',
  family_soundex text NOT NULL DEFAULT '',
  family_metaphone text NOT NULL DEFAULT '',
  given_soundex text NOT NULL DEFAULT '',
  gender text,
  birth_date date,
  death_date date,
  postcode text,
  gp_ods text,
  emails text[] NOT NULL DEFAULT '{}',
  phones text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Blocking indexes: each search is an exact or prefix lookup on one of these, then scored in TypeScript.
-- Non-active rows are left out of the search indexes (search never returns them).
CREATE INDEX patients_family_birth ON demographics.patients (family text_pattern_ops, birth_date) WHERE status = 'active';
CREATE INDEX patients_birth ON demographics.patients (birth_date) WHERE status = 'active';
CREATE INDEX patients_family_soundex ON demographics.patients (family_soundex) WHERE status = 'active';
CREATE INDEX patients_family_metaphone ON demographics.patients (family_metaphone) WHERE status = 'active';
CREATE INDEX patients_postcode ON demographics.patients (postcode text_pattern_ops) WHERE status = 'active';
CREATE INDEX patients_gp ON demographics.patients (gp_ods) WHERE status = 'active';
CREATE INDEX patients_emails ON demographics.patients USING gin (emails) WHERE status = 'active';
CREATE INDEX patients_phones ON demographics.patients USING gin (phones) WHERE status = 'active';
CREATE INDEX patients_superseded_by ON demographics.patients (superseded_by) WHERE status = 'superseded';

CREATE TABLE demographics.patient_versions (
  nhs_number text NOT NULL,
  version_id integer NOT NULL,
  resource jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  request_id text,
  PRIMARY KEY (nhs_number, version_id)
);

CREATE TABLE demographics.historic_names (
  nhs_number text NOT NULL,
  family text NOT NULL,
  given text[] NOT NULL,
  family_soundex text NOT NULL,
  family_metaphone text NOT NULL,
  given_soundex text NOT NULL,
  PRIMARY KEY (nhs_number, family, given)
);
CREATE INDEX historic_names_family ON demographics.historic_names (family text_pattern_ops);
CREATE INDEX historic_names_family_soundex ON demographics.historic_names (family_soundex);

CREATE TABLE demographics.historic_postcodes (
  nhs_number text NOT NULL,
  postcode text NOT NULL,
  PRIMARY KEY (nhs_number, postcode)
);
CREATE INDEX historic_postcodes_postcode ON demographics.historic_postcodes (postcode text_pattern_ops);

CREATE TABLE demographics.related_persons (
  nhs_number text NOT NULL,
  id text NOT NULL,
  resource jsonb NOT NULL,
  PRIMARY KEY (nhs_number, id)
);

-- PATCH/POST retries with the same X-Request-ID get the first outcome back (POST uses nhs_number '').
CREATE TABLE demographics.idempotent_requests (
  request_id text NOT NULL,
  nhs_number text NOT NULL,
  status integer NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, nhs_number)
);

-- New NHS numbers come from 9-digit stems in the 999 test range; a sequence is safe across processes.
CREATE SEQUENCE demographics.nhs_number_stems START WITH 999000000 MINVALUE 999000000 MAXVALUE 999999999;
`;

/**
 * PDS spec: a search always looks at usual, nickname and temporary names; other names (old,
 * maiden, …) only with history. `current_alias` marks a nickname or temporary name the record
 * currently holds.
 */
const NAME_ALIASES = `
ALTER TABLE demographics.historic_names ADD COLUMN current_alias boolean NOT NULL DEFAULT false;
`;

/**
 * A search without history looks other names up only among current aliases; through the whole
 * family-name index it read every historic row of a common name (~300 heap pages for PHILLIPS at
 * 1M patients) only to discard them. Aliases alone are a small partial index.
 */
const ALIAS_NAME_INDEX = `
CREATE INDEX historic_names_alias_family ON demographics.historic_names (family text_pattern_ops) WHERE current_alias;
`;

/**
 * Fuzzy blocking reads every patient born on five days (~60 at 1M) to test their phonetic keys; from
 * the heap that was ~60 random pages of a table far larger than shared buffers. With the keys in the
 * birth-date index the test is an index-only scan, and only the few candidates' rows are read.
 * It replaces the plain birth-date index (same leading column, same rows).
 */
const BIRTH_BLOCKING_INDEX = `
CREATE INDEX patients_birth_blocking ON demographics.patients (birth_date)
  INCLUDE (family_soundex, family_metaphone, given_soundex, postcode, restricted, nhs_number) WHERE status = 'active';
DROP INDEX demographics.patients_birth;
`;

/**
 * Fuzzy blocking asks, for each patient born on the searched days (~90 at 1M) whose current keys
 * miss, whether a historic name's key matches: with the keys in this index each probe is
 * index-only (fuzzy SQL 1.8 -> 1.45 ms average at 1M).
 */
const HISTORIC_KEYS_INDEX = `
CREATE INDEX historic_names_keys ON demographics.historic_names (nhs_number) INCLUDE (family_soundex, given_soundex);
`;

/**
 * PDS spec: email and phone searches look at current contact details only, and with `_history` (or
 * in fuzzy search, which always searches history) at the record's previous ones too. An email or
 * phone a PATCH removed is kept here, as replaced names and postcodes are. A search probes it by
 * primary key per candidate (family name and birth date always narrow the search first).
 */
const HISTORIC_TELECOMS = `
CREATE TABLE demographics.historic_telecoms (
  nhs_number text NOT NULL,
  system text NOT NULL CHECK (system IN ('email', 'phone')),
  value text NOT NULL,
  PRIMARY KEY (nhs_number, system, value)
);
`;

/**
 * A replay is keyed by caller (application and user) as well as X-Request-ID: another caller's
 * retry of the same id must neither see nor replay the first outcome. `subject` names the patient
 * the outcome is about (for the replay's audit record); `created_at` drives the retention window.
 */
const REPLAY_CALLERS = `
ALTER TABLE demographics.idempotent_requests
  ADD COLUMN caller text NOT NULL DEFAULT '',
  ADD COLUMN subject text NOT NULL DEFAULT '',
  DROP CONSTRAINT idempotent_requests_pkey,
  ADD PRIMARY KEY (request_id, nhs_number, caller);
CREATE INDEX idempotent_requests_created_at ON demographics.idempotent_requests (created_at);
`;

/**
 * The patient's EHIC (PDS `/Coverage`): one Coverage per patient, replaced by each update, every
 * version kept (append-only; the current one is the highest). The coverage version is the
 * coverage's own, not the Patient's: a patient with no row is at version 1 with no EHIC. Two
 * updates of one version race on the primary key, so exactly one wins.
 */
const COVERAGES = `
CREATE TABLE demographics.coverages (
  nhs_number text NOT NULL,
  version_id integer NOT NULL CHECK (version_id > 1),
  resource jsonb NOT NULL,
  request_id text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (nhs_number, version_id)
);
`;

export const demographicsMigrations: MigrationSet = {
  schema: 'demographics',
  migrations: [
    { id: '001_init', sql: INIT },
    { id: '002_name_aliases', sql: NAME_ALIASES },
    { id: '003_alias_name_index', sql: ALIAS_NAME_INDEX },
    { id: '004_birth_blocking_index', sql: BIRTH_BLOCKING_INDEX },
    { id: '005_historic_name_keys_index', sql: HISTORIC_KEYS_INDEX },
    { id: '006_historic_telecoms', sql: HISTORIC_TELECOMS },
    { id: '007_replay_callers', sql: REPLAY_CALLERS },
    { id: '008_coverages', sql: COVERAGES },
    // The digest of each kept outcome's request body (handlers/replays.ts): an X-Request-ID sent
    // again with another body is refused, where it was told the first request's outcome.
    { id: '009_replay_request_digest', sql: 'ALTER TABLE demographics.idempotent_requests ADD COLUMN request_digest text;' },
  ],
};
