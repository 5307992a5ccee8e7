import type { PlatformContext } from '../../../platform/service.js';
import { directoryApi, parseMeshMailboxLine, parseMeshWorkflowLine } from '../api.js';
import { MESH_SANDBOX_MAILBOX_LINES, MESH_SANDBOX_WORKFLOW_LINES } from './mesh-sandbox.js';

/**
 * Demo directory, written on every start: upserts only, in one transaction, so a second start on the
 * same database changes nothing and a failed start leaves nothing half-written.
 */
export async function seedDirectoryDemo(ctx: PlatformContext): Promise<void> {
  await ctx.db.tx(async (tx) => {
    const directory = directoryApi(tx);
    for (const line of MESH_SANDBOX_MAILBOX_LINES) await directory.upsertMailbox(parseMeshMailboxLine(line));
    for (const line of MESH_SANDBOX_WORKFLOW_LINES) await directory.upsertWorkflow(parseMeshWorkflowLine(line));
  });
}
