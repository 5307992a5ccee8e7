import type { PlatformContext } from '../../../platform/service.js';
import { directoryApi, parseMeshMailboxLine, parseMeshWorkflowLine } from '../api.js';
import * as sdsStore from '../store/sds.js';
import { DEMO_MAILBOXES, DEMO_ORGANISATIONS, DEMO_WORKFLOWS } from './demo-records.js';
import { MESH_SANDBOX_MAILBOX_LINES, MESH_SANDBOX_WORKFLOW_LINES } from './mesh-sandbox.js';
import { sdsDemoAccreditedSystems, sdsDemoMhsEndpoints } from './sds-data.js';

const DIRECTORY_SEED_LOCK = 4_242_101;

/**
 * Demo directory, run on every start. Each record is written only when absent, so a restart
 * changes nothing and never undoes an operator's edit; all in one transaction, so a failed start
 * leaves nothing half-written.
 */
export async function seedDirectoryDemo(ctx: PlatformContext): Promise<void> {
  const mailboxes = [...MESH_SANDBOX_MAILBOX_LINES.map(parseMeshMailboxLine), ...DEMO_MAILBOXES];
  const workflows = [...MESH_SANDBOX_WORKFLOW_LINES.map(parseMeshWorkflowLine), ...DEMO_WORKFLOWS];
  const systems = sdsDemoAccreditedSystems();
  const endpoints = sdsDemoMhsEndpoints();
  await ctx.db.tx(async (tx) => {
    // Two processes starting together on one database take turns rather than both inserting.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DIRECTORY_SEED_LOCK]);
    const directory = directoryApi(tx);
    for (const org of DEMO_ORGANISATIONS) {
      if (!(await directory.getOrganisation(org.odsCode))) await directory.upsertOrganisation(org);
    }
    for (const mailbox of mailboxes) {
      if (!(await directory.getMailbox(mailbox.mailboxId))) await directory.upsertMailbox(mailbox);
    }
    for (const workflow of workflows) {
      if (!(await directory.getWorkflow(workflow.workflowId))) await directory.upsertWorkflow(workflow);
    }
    for (const system of systems) {
      if (!(await sdsStore.findAccreditedSystemByAsid(tx, system.asid))) await sdsStore.upsertAccreditedSystem(tx, system);
    }
    for (const endpoint of endpoints) {
      if (!(await sdsStore.findMhsEndpoint(tx, endpoint.id))) await sdsStore.upsertMhsEndpoint(tx, endpoint);
    }
  });
}
