import type { MigrationSet } from '../../../platform/db/migrate.js';

/**
 * messaging.* is keyed by message id and mailbox. A message's state is never a mutable flag: it is
 * derived from its append-only events. `inbox` is the one projection that rows leave (on
 * acknowledge and expiry), so listing a busy mailbox stays an index range scan.
 */
const INIT = `
CREATE TABLE messaging.messages (
  message_id text PRIMARY KEY,
  message_type text NOT NULL CHECK (message_type IN ('DATA', 'REPORT')),
  sender text NOT NULL,
  sender_name text NOT NULL DEFAULT '',
  sender_ods_code text NOT NULL DEFAULT '',
  sender_org_code text NOT NULL DEFAULT '',
  sender_billing_entity text,
  recipient text NOT NULL,
  recipient_name text NOT NULL DEFAULT '',
  recipient_ods_code text NOT NULL DEFAULT '',
  recipient_org_code text NOT NULL DEFAULT '',
  recipient_billing_entity text,
  workflow_id text NOT NULL,
  total_chunks integer NOT NULL CHECK (total_chunks >= 0),
  content_encoding text NOT NULL DEFAULT '',
  content_type text,
  subject text,
  local_id text,
  partner_id text,
  file_name text,
  checksum text,
  encrypted boolean NOT NULL DEFAULT false,
  compressed boolean NOT NULL DEFAULT false,
  linked_message_id text,
  status_code text,
  status_event text,
  status_description text,
  created_at timestamptz NOT NULL
);
CREATE INDEX messages_by_sender ON messaging.messages (sender, created_at, message_id);
CREATE INDEX messages_by_recipient ON messaging.messages (recipient, created_at, message_id);
CREATE INDEX messages_by_created ON messaging.messages (created_at);

CREATE TABLE messaging.message_events (
  message_id text NOT NULL REFERENCES messaging.messages ON DELETE CASCADE,
  event_seq bigserial NOT NULL,
  status text NOT NULL CHECK (status IN ('uploading', 'accepted', 'acknowledged', 'expired', 'undeliverable')),
  at timestamptz NOT NULL,
  code text,
  event text,
  description text,
  PRIMARY KEY (message_id, event_seq)
);

CREATE SEQUENCE messaging.accept_seq;

CREATE TABLE messaging.inbox (
  recipient text NOT NULL,
  accept_seq bigint NOT NULL,
  message_id text NOT NULL UNIQUE REFERENCES messaging.messages ON DELETE CASCADE,
  workflow_id text NOT NULL,
  accepted_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (recipient, accept_seq)
);
CREATE INDEX inbox_by_expiry ON messaging.inbox (expires_at);

CREATE TABLE messaging.chunks (
  message_id text NOT NULL REFERENCES messaging.messages ON DELETE CASCADE,
  chunk_no integer NOT NULL CHECK (chunk_no >= 1),
  byte_size bigint NOT NULL,
  segments integer NOT NULL,
  content_encoding text NOT NULL DEFAULT '',
  stored_at timestamptz NOT NULL,
  PRIMARY KEY (message_id, chunk_no)
);

CREATE TABLE messaging.body_segments (
  message_id text NOT NULL,
  chunk_no integer NOT NULL,
  segment_no integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (message_id, chunk_no, segment_no)
);
ALTER TABLE messaging.body_segments ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE messaging.auth_nonces (
  mailbox_id text NOT NULL,
  nonce text NOT NULL,
  nonce_count text NOT NULL,
  token_time timestamptz NOT NULL,
  PRIMARY KEY (mailbox_id, nonce, nonce_count)
);
CREATE INDEX auth_nonces_by_time ON messaging.auth_nonces (token_time);
`;

/** Tracking by local id (`GET /{mailbox}/outbox/tracking/{local_id}`) looks up a sender's messages by it. */
const LOCAL_ID_INDEX = `
CREATE INDEX messages_by_sender_local_id ON messaging.messages (sender, local_id) WHERE local_id IS NOT NULL;
`;

/**
 * The MESH sandbox's admin event route records its `error` status and a linked message id
 * (`POST /admin/message/{id}/event`).
 */
const ADMIN_EVENTS = `
ALTER TABLE messaging.message_events DROP CONSTRAINT message_events_status_check;
ALTER TABLE messaging.message_events ADD CONSTRAINT message_events_status_check
  CHECK (status IN ('uploading', 'accepted', 'acknowledged', 'expired', 'undeliverable', 'error'));
ALTER TABLE messaging.message_events ADD COLUMN linked_message_id text;
`;

/**
 * The SHA-1 of each chunk's stored bytes, taken as they are stored, so a download streamed from
 * storage and a HEAD can say the spec's `etag` before sending them. Chunks stored before have none.
 */
const CHUNK_SHA1 = `
ALTER TABLE messaging.chunks ADD COLUMN body_sha1 text;
`;

/**
 * Each mailbox's last inbox place (`store/inbox.ts` `inboxPositionCte`): a delivery draws its place
 * from `accept_seq` under this row's lock, held until it commits, so a mailbox's messages become
 * visible in the order of their places and an inbox cursor never passes one still to commit.
 * Places already given stay valid: every later one is drawn from the same sequence.
 */
const INBOX_POSITIONS = `
CREATE TABLE messaging.inbox_positions (
  recipient text PRIMARY KEY,
  last_seq bigint NOT NULL
);
`;

export const messagingMigrations: MigrationSet = {
  schema: 'messaging',
  migrations: [{ id: '001_init', sql: INIT }, { id: '002_local_id_index', sql: LOCAL_ID_INDEX },
    { id: '003_admin_events', sql: ADMIN_EVENTS }, { id: '004_chunk_sha1', sql: CHUNK_SHA1 },
    { id: '005_inbox_positions', sql: INBOX_POSITIONS }],
};
