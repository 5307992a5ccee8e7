import type { Queryable } from '../../../platform/db/pool.js';
import type { MeshMailbox, MeshWorkflow } from '../api.js';

interface MailboxRow {
  mailbox_id: string;
  mailbox_name: string;
  ods_code: string;
  org_code: string;
  billing_entity: string | null;
  password: string;
  active: boolean;
}

const MAILBOX_COLUMNS = 'mailbox_id, mailbox_name, ods_code, org_code, billing_entity, password, active';

function toMailbox(row: MailboxRow): MeshMailbox {
  return {
    mailboxId: row.mailbox_id,
    mailboxName: row.mailbox_name,
    odsCode: row.ods_code,
    orgCode: row.org_code,
    ...(row.billing_entity ? { billingEntity: row.billing_entity } : {}),
    password: row.password,
    active: row.active,
  };
}

export async function findMailbox(db: Queryable, mailboxId: string): Promise<MeshMailbox | undefined> {
  const { rows } = await db.query<MailboxRow>(
    `SELECT ${MAILBOX_COLUMNS} FROM directory.mesh_mailboxes WHERE mailbox_id = $1`, [mailboxId]);
  return rows[0] ? toMailbox(rows[0]) : undefined;
}

/** A mailbox of an organisation disabled in the directory is out of service too: MESH neither authenticates it nor delivers to it. */
const ORGANISATION_IN_SERVICE = 'NOT EXISTS (SELECT 1 FROM directory.organisations o WHERE o.ods_code = m.ods_code AND NOT o.active)';

/** The mailbox as MESH takes it: `active` only when its organisation is not disabled either. */
export async function findMailboxInService(db: Queryable, mailboxId: string): Promise<MeshMailbox | undefined> {
  const { rows } = await db.query<MailboxRow>(
    `SELECT ${MAILBOX_COLUMNS.split(', ').map((c) => (c === 'active' ? `m.active AND ${ORGANISATION_IN_SERVICE} AS active` : `m.${c}`)).join(', ')}
       FROM directory.mesh_mailboxes m WHERE m.mailbox_id = $1`, [mailboxId]);
  return rows[0] ? toMailbox(rows[0]) : undefined;
}

export async function listMailboxes(
  db: Queryable, filter: { odsCode?: string; limit?: number; offset?: number },
): Promise<MeshMailbox[]> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
  const { rows } = await db.query<MailboxRow>(
    `SELECT ${MAILBOX_COLUMNS} FROM directory.mesh_mailboxes WHERE ($1::text IS NULL OR ods_code = $1)
      ORDER BY mailbox_id LIMIT $2 OFFSET $3`,
    [filter.odsCode ?? null, limit, Math.max(filter.offset ?? 0, 0)]);
  return rows.map(toMailbox);
}

/**
 * Creates or replaces the mailbox. `keepPassword`: an existing mailbox keeps the password it has as
 * the row is written (a password set since the caller read the mailbox is not put back); the given
 * one is only for a mailbox that does not exist.
 */
export async function upsertMailbox(db: Queryable, mailbox: MeshMailbox, options: { keepPassword?: boolean } = {}): Promise<void> {
  await db.query(
    `INSERT INTO directory.mesh_mailboxes (${MAILBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (mailbox_id) DO UPDATE SET mailbox_name = EXCLUDED.mailbox_name, ods_code = EXCLUDED.ods_code,
       org_code = EXCLUDED.org_code, billing_entity = EXCLUDED.billing_entity,
       password = CASE WHEN $8 THEN directory.mesh_mailboxes.password ELSE EXCLUDED.password END,
       active = EXCLUDED.active, updated_at = now()`,
    [mailbox.mailboxId, mailbox.mailboxName, mailbox.odsCode, mailbox.orgCode, mailbox.billingEntity ?? null,
      mailbox.password, mailbox.active, options.keepPassword === true]);
}

export async function setMailboxActive(db: Queryable, mailboxId: string, active: boolean): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE directory.mesh_mailboxes SET active = $2, updated_at = now() WHERE mailbox_id = $1', [mailboxId, active]);
  return (rowCount ?? 0) > 0;
}

// No look-up offers a mailbox out of service (ORGANISATION_IN_SERVICE).
export async function mailboxesForOdsAndWorkflow(db: Queryable, odsCode: string, workflowId: string): Promise<MeshMailbox[]> {
  const { rows } = await db.query<MailboxRow>(
    `SELECT ${MAILBOX_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}
       FROM directory.mesh_mailboxes m
       JOIN directory.mesh_workflows w ON m.mailbox_id = ANY (w.receivers)
      WHERE w.workflow_id = $1 AND m.ods_code = $2 AND m.active
        AND ${ORGANISATION_IN_SERVICE}
      ORDER BY m.mailbox_id`,
    [workflowId, odsCode.toUpperCase()]);
  return rows.map(toMailbox);
}

export async function mailboxesReceivingWorkflow(db: Queryable, workflowId: string): Promise<MeshMailbox[]> {
  const { rows } = await db.query<MailboxRow>(
    `SELECT ${MAILBOX_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}
       FROM directory.mesh_mailboxes m
       JOIN directory.mesh_workflows w ON m.mailbox_id = ANY (w.receivers)
      WHERE w.workflow_id = $1 AND m.active
        AND ${ORGANISATION_IN_SERVICE}
      ORDER BY m.mailbox_id`,
    [workflowId]);
  return rows.map(toMailbox);
}

interface WorkflowRow { workflow_id: string; senders: string[]; receivers: string[] }

const toWorkflow = (row: WorkflowRow): MeshWorkflow =>
  ({ workflowId: row.workflow_id, senders: row.senders, receivers: row.receivers });

export async function findWorkflow(db: Queryable, workflowId: string): Promise<MeshWorkflow | undefined> {
  const { rows } = await db.query<WorkflowRow>(
    'SELECT workflow_id, senders, receivers FROM directory.mesh_workflows WHERE workflow_id = $1', [workflowId]);
  return rows[0] ? toWorkflow(rows[0]) : undefined;
}

export async function listWorkflows(db: Queryable, filter: { limit?: number; offset?: number }): Promise<MeshWorkflow[]> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
  const { rows } = await db.query<WorkflowRow>(
    'SELECT workflow_id, senders, receivers FROM directory.mesh_workflows ORDER BY workflow_id LIMIT $1 OFFSET $2',
    [limit, Math.max(filter.offset ?? 0, 0)]);
  return rows.map(toWorkflow);
}

export async function upsertWorkflow(db: Queryable, workflow: MeshWorkflow): Promise<void> {
  await db.query(
    `INSERT INTO directory.mesh_workflows (workflow_id, senders, receivers) VALUES ($1, $2, $3)
     ON CONFLICT (workflow_id) DO UPDATE SET senders = EXCLUDED.senders, receivers = EXCLUDED.receivers,
       updated_at = now()`,
    [workflow.workflowId, workflow.senders, workflow.receivers]);
}

/** Creates the mailbox unless its id is taken; false when it was. */
export async function insertMailboxIfAbsent(db: Queryable, mailbox: MeshMailbox): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO directory.mesh_mailboxes (${MAILBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (mailbox_id) DO NOTHING`,
    [mailbox.mailboxId, mailbox.mailboxName, mailbox.odsCode, mailbox.orgCode, mailbox.billingEntity ?? null,
      mailbox.password, mailbox.active]);
  return rowCount === 1;
}

/** Creates the workflow unless its id is taken; false when it was. */
export async function insertWorkflowIfAbsent(db: Queryable, workflow: MeshWorkflow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO directory.mesh_workflows (workflow_id, senders, receivers) VALUES ($1, $2, $3)
     ON CONFLICT (workflow_id) DO NOTHING`,
    [workflow.workflowId, workflow.senders, workflow.receivers]);
  return rowCount === 1;
}

/** The ids among `mailboxIds` that are not in the directory. */
export async function unknownMailboxIds(db: Queryable, mailboxIds: string[]): Promise<string[]> {
  if (mailboxIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS ids(id)
      WHERE NOT EXISTS (SELECT 1 FROM directory.mesh_mailboxes m WHERE m.mailbox_id = ids.id) ORDER BY id`,
    [mailboxIds]);
  return rows.map((r) => r.id);
}
