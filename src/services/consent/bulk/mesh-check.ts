import type { PlatformContext, BackgroundWorker } from '../../../platform/service.js';
import { meshApi, MeshSendRefused, type MeshApi, type MeshMessageInfo } from '../../messaging/api.js';
import { claimBulkCheck, finishBulkCheck, isBulkCheckDone, markBulkCheckAnnounced } from '../store.js';
import { checkNhsNumbers, INVALID_FILE_REPLY, InvalidNhsNumberFile, newTotals } from './check.js';
import { startPeriodic } from '../../../platform/periodic.js';

/**
 * The bulk check over MESH, as NHS England's "Check for National Data Opt-outs Service" (POS) is
 * described (API-NOTES §7: web pages and third-party notes only, no published spec). A file of NHS
 * numbers sent to the service's mailbox on workflow SPINE_NTT_UPHOLDING gets two replies to the
 * sender on the same workflow, with the request's LocalID, Subject and file name: a message saying
 * the job was created, then the file minus the patients who have opted out. A file with an invalid
 * line is refused whole, with NHS England's one-line reply.
 *
 * Requests are found by polling the mailbox's inbox. Each is claimed (a row keyed by its message
 * id, with a lease) so that several processes share the work and a request is answered once in
 * normal running; a process that dies mid-way loses its lease and another answers (possibly a second
 * time, if the first had sent its answer but not recorded it: at least once). The request is
 * acknowledged after its answer is recorded.
 */
export const POS_MAILBOX = 'X26HC065';
export const POS_WORKFLOW = 'SPINE_NTT_UPHOLDING';
export const JOB_CREATED = 'A processing job has been created in POS to clean the supplied file.';
const LEASE_MS = 10 * 60_000;

export interface BulkCheckOutcome {
  messageId: string;
  /** `undeliverable`: the sender's mailbox takes no reply (not registered, or disabled). */
  outcome: 'checked' | 'invalid' | 'undeliverable' | 'skipped';
  numbersIn: number;
  numbersOut: number;
}

async function answer(ctx: PlatformContext, mesh: MeshApi, request: MeshMessageInfo): Promise<BulkCheckOutcome> {
  const claim = await claimBulkCheck(ctx.db, {
    messageId: request.messageId, mailboxId: request.recipient, sender: request.sender, localId: request.localId, subject: request.subject,
  }, ctx.clock.now(), LEASE_MS);
  if (!claim) {
    // Answered already (its acknowledgement was lost), or another process holds it.
    if (await isBulkCheckDone(ctx.db, request.messageId)) await mesh.acknowledge(request.recipient, request.messageId);
    return { messageId: request.messageId, outcome: 'skipped', numbersIn: 0, numbersOut: 0 };
  }
  const reply = { from: request.recipient, to: request.sender, workflowId: request.workflowId, localId: request.localId, subject: request.subject };
  const at = ctx.clock.now();
  const totals = newTotals();
  let outcome: BulkCheckOutcome['outcome'] = 'checked';
  try {
    if (!claim.announced) {
      await mesh.send({ ...reply, fileName: request.fileName ? `${request.fileName}.job` : undefined, contentType: 'text/plain', body: `${JOB_CREATED}\n` });
      await markBulkCheckAnnounced(ctx.db, request.messageId);
    }
    try {
      // The answer streams into MESH as the request streams out of it; a file with an invalid line
      // stops the check, and the half-written answer is rolled back with its transaction.
      await mesh.send({ ...reply, fileName: request.fileName, contentType: 'text/plain', body: checkNhsNumbers(ctx.db, mesh.body(request.messageId), { at, invalid: 'reject', totals }) });
    } catch (err) {
      if (!(err instanceof InvalidNhsNumberFile)) throw err;
      outcome = 'invalid';
      ctx.log.info({ messageId: request.messageId, line: err.line.lineNo }, 'bulk opt-out check refused a file with an invalid NHS number');
      await mesh.send({ ...reply, fileName: request.fileName, contentType: 'text/plain', body: `${INVALID_FILE_REPLY}\n` });
    }
  } catch (err) {
    // The sender's mailbox was disabled (or removed) after it sent: no reply can reach it, now or
    // on a later try, so the request is closed as undeliverable rather than tried every lease for ever.
    if (!(err instanceof MeshSendRefused)) throw err;
    outcome = 'undeliverable';
    ctx.log.warn({ messageId: request.messageId, sender: request.sender }, 'bulk opt-out check could not reply: the sender\'s mailbox takes no messages');
  }
  const numbersIn = totals.valid + totals.invalid;
  await finishBulkCheck(ctx.db, request.messageId, { numbersIn, numbersOut: totals.kept, outcome }, ctx.clock.now());
  await ctx.audit.record({
    requestId: request.messageId, action: 'consent.bulk-check', resource: 'Consent', nhsNumbers: [], outcome: outcome === 'checked' ? 'success' : 'failure',
    detail: { channel: 'mesh', mailbox: request.sender, localId: request.localId, at: at.toISOString(), numbersIn, kept: totals.kept, optedOut: totals.optedOut, outcome },
  });
  await mesh.acknowledge(request.recipient, request.messageId);
  return { messageId: request.messageId, outcome, numbersIn, numbersOut: totals.kept };
}

/** Answers every bulk-check request waiting in the service's mailbox; what it did, for tests and logs. */
export async function answerWaitingChecks(ctx: PlatformContext, mailboxId = POS_MAILBOX, mesh: MeshApi = meshApi(ctx)): Promise<BulkCheckOutcome[]> {
  const done: BulkCheckOutcome[] = [];
  for (const request of await mesh.waiting(mailboxId, { workflowId: POS_WORKFLOW, limit: 20 })) done.push(await answer(ctx, mesh, request));
  return done;
}

/** Polls the mailbox every `intervalMs` while the Spine serves. */
export function startBulkCheckWorker(ctx: PlatformContext, intervalMs = 2_000): BackgroundWorker {
  return startPeriodic(ctx.log, 'bulk opt-out check', intervalMs, () => answerWaitingChecks(ctx));
}
