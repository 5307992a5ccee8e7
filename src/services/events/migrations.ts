import type { MigrationSet } from '../../platform/db/migrate.js';

/**
 * Subscriptions (NEMS and MNS alike) and deliveries: one row per event per destination (a MESH
 * mailbox and workflow, or a webhook subscription), holding the exact bytes to send, so every
 * attempt and every replay sends the same body under the same idempotency key. Never edit a
 * migration once merged; add a new id.
 */
export const eventsMigrations: MigrationSet = {
  schema: 'events',
  migrations: [
    {
      id: '001_init',
      sql: `
        CREATE TABLE events.subscriptions (
          id uuid PRIMARY KEY,
          api text NOT NULL CHECK (api IN ('nems', 'mns')),
          owner_app_id text NOT NULL,
          owner_ods text,
          criteria text NOT NULL,
          -- the parsed criteria the matcher reads
          rule jsonb NOT NULL,
          event_types text[] NOT NULL,
          nhs_number text,
          channel text NOT NULL CHECK (channel IN ('mesh', 'rest-hook')),
          endpoint text NOT NULL,
          mailbox text,
          workflow_id text,
          payload_type text,
          tag text,
          signing_secret text,
          resource jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          ends_at timestamptz,
          deleted_at timestamptz
        );
        CREATE INDEX subscriptions_event_types ON events.subscriptions USING gin (event_types) WHERE deleted_at IS NULL;
        CREATE INDEX subscriptions_owner ON events.subscriptions (owner_app_id, created_at, id) WHERE deleted_at IS NULL;

        CREATE TABLE events.deliveries (
          id bigserial PRIMARY KEY,
          outbox_id bigint NOT NULL,
          -- the event's own id: a UUID for the Spine's events and NEMS's, any string for an MNS CloudEvent
          event_id text NOT NULL,
          event_type text NOT NULL,
          -- 'mesh:{mailbox}:{workflow}' or 'hook:{subscription id}': what one ordered queue goes to
          destination text NOT NULL,
          -- the NHS number, or 'event:{outbox id}' for an event about no patient (no order to keep)
          order_key text NOT NULL,
          nhs_number text,
          subscription_ids uuid[] NOT NULL,
          channel text NOT NULL CHECK (channel IN ('mesh', 'rest-hook')),
          endpoint text NOT NULL,
          workflow_id text,
          partner_id text,
          content_type text NOT NULL,
          body text NOT NULL,
          idempotency_key text NOT NULL,
          status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
          attempts int NOT NULL DEFAULT 0,
          event_time timestamptz NOT NULL,
          routed_at timestamptz NOT NULL,
          next_attempt_at timestamptz NOT NULL,
          dead_after timestamptz NOT NULL,
          delivered_at timestamptz,
          last_error text,
          replay_of bigint
        );
        CREATE INDEX deliveries_due ON events.deliveries (next_attempt_at, id) WHERE status = 'pending';
        CREATE INDEX deliveries_queue ON events.deliveries (destination, order_key, outbox_id) WHERE status = 'pending';
        CREATE INDEX deliveries_dead ON events.deliveries (id) WHERE status = 'dead';
        CREATE INDEX deliveries_delivered ON events.deliveries (delivered_at) WHERE status = 'delivered';
        CREATE INDEX deliveries_subscription ON events.deliveries USING gin (subscription_ids);`,
    },
    {
      // A queue's head (its oldest pending delivery: outbox id, then id for a replay of the same
      // event) is one descent of this index; the delivery claim asks it for every candidate.
      id: '002_queue_head_index',
      sql: `
        CREATE INDEX deliveries_queue_head ON events.deliveries (destination, order_key, outbox_id, id) WHERE status = 'pending';
        DROP INDEX events.deliveries_queue;`,
    },
    {
      // NEMS's duplicate check (store/subscriptions.ts findMatchingNemsSubscription) looks for the
      // organisation's live subscriptions to the mailbox, both compared in upper case: without this
      // index every create read every live subscription of every organisation.
      id: '003_nems_owner_mailbox_index',
      concurrentIndex: 'subscriptions_nems_owner_mailbox',
      sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS subscriptions_nems_owner_mailbox ON events.subscriptions (upper(owner_ods), upper(mailbox)) WHERE api = 'nems' AND deleted_at IS NULL`,
    },
  ],
};
