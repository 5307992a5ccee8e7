import { randomBytes } from 'node:crypto';
import type { PlatformContext } from '../../platform/service.js';
import { directoryApi } from '../directory/api.js';
import { POS_MAILBOX, POS_WORKFLOW } from './bulk/mesh-check.js';

/** The MESH sandbox's mailboxes (directory demo data), which may use the bulk check in demo mode. */
const DEMO_SENDERS = ['X26ABC1', 'X26ABC2', 'X26ABC3'];

/**
 * Demo mode: the opt-out check's MESH mailbox and its workflow, so the sandbox mailboxes can send it
 * files and it can answer them. Its password is random: only the Spine itself reads this mailbox.
 * A deployment registers the mailbox and the workflow's senders in its directory.
 */
export async function seedConsentDemo(ctx: PlatformContext): Promise<void> {
  const directory = directoryApi(ctx.db);
  if (!(await directory.getMailbox(POS_MAILBOX))) {
    await directory.upsertMailbox({
      mailboxId: POS_MAILBOX, mailboxName: 'National Data Opt-out check (POS)', odsCode: 'X26', orgCode: 'X26',
      password: randomBytes(24).toString('base64url'), active: true,
    });
  }
  const known = await directory.getWorkflow(POS_WORKFLOW);
  const parties = [POS_MAILBOX, ...DEMO_SENDERS];
  await directory.upsertWorkflow({
    workflowId: POS_WORKFLOW,
    senders: [...new Set([...(known?.senders ?? []), ...parties])],
    receivers: [...new Set([...(known?.receivers ?? []), ...parties])],
  });
}
