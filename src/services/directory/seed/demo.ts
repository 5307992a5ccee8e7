import type { PlatformContext } from '../../../platform/service.js';
import { parseMeshMailboxLine, parseMeshWorkflowLine } from '../api.js';
import { insertMailboxIfAbsent, insertWorkflowIfAbsent } from '../store/mesh.js';
import { insertOrganisationIfAbsent } from '../store/organisations.js';
import { insertAccreditedSystemIfAbsent, insertMhsEndpointIfAbsent } from '../store/sds.js';
import { DEMO_MAILBOXES, DEMO_ORGANISATIONS, DEMO_POSTCODE_AREAS, DEMO_WORKFLOWS } from './demo-records.js';
import { insertPostcodeAreaIfAbsent } from '../store/postcode-areas.js';
import { MESH_SANDBOX_MAILBOX_LINES, MESH_SANDBOX_WORKFLOW_LINES } from './mesh-sandbox.js';
import { sdsDemoAccreditedSystems, sdsDemoMhsEndpoints } from './sds-data.js';

/**
 * Demo directory, run on every start. Each record is only inserted when absent, so a restart
 * changes nothing, never undoes an operator's edit, and two processes starting together cannot
 * clash; all in one transaction, so a failed start leaves nothing half-written.
 */
export async function seedDirectoryDemo(ctx: PlatformContext): Promise<void> {
  const mailboxes = [...MESH_SANDBOX_MAILBOX_LINES.map(parseMeshMailboxLine), ...DEMO_MAILBOXES];
  const workflows = [...MESH_SANDBOX_WORKFLOW_LINES.map(parseMeshWorkflowLine), ...DEMO_WORKFLOWS];
  const systems = sdsDemoAccreditedSystems();
  const endpoints = sdsDemoMhsEndpoints();
  await ctx.db.tx(async (tx) => {
    for (const org of DEMO_ORGANISATIONS) await insertOrganisationIfAbsent(tx, org);
    for (const mailbox of mailboxes) await insertMailboxIfAbsent(tx, mailbox);
    for (const workflow of workflows) await insertWorkflowIfAbsent(tx, workflow);
    for (const system of systems) await insertAccreditedSystemIfAbsent(tx, system);
    for (const endpoint of endpoints) await insertMhsEndpointIfAbsent(tx, endpoint);
    for (const area of DEMO_POSTCODE_AREAS) for (const prefix of area.prefixes) await insertPostcodeAreaIfAbsent(tx, area.kind, prefix, area.odsCode);
  });
}
