import type { PlatformContext, BackgroundWorker } from '../../../platform/service.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import type { Message, Party } from '../message.js';
import { INBOX_EXPIRY_DAYS, PURGE_AFTER_MS, AUTH_CLOCK_WINDOW_MS } from '../protocol/limits.js';
import { newMessageId } from '../protocol/message-id.js';
import { appendEvent, deleteMessages, findMessages, insertMessage, messagesDueForPurge } from '../store/messages.js';
import { claimExpired, removeFromInbox } from '../store/inbox.js';
import { forgetNoncesBefore } from '../store/nonces.js';
import { pgBodyStore } from '../store/pg-body-store.js';
import type { BodyStore } from '../store/body-store.js';
import { acceptMessage } from './accept.js';
import { startPeriodic } from '../../../platform/periodic.js';

/** DTS status 14 (spec, "Error codes"; sandbox text "Message not collected by recipient after 5 days"). */
export const UNDELIVERED = { code: '14', event: 'SEND', description: `Message not collected by recipient after ${INBOX_EXPIRY_DAYS} days` } as const;

/** Reports come from MESH itself, not from a mailbox (MESH sandbox: "Central System Mailbox", X26). */
export const CENTRAL_SYSTEM_MAILBOX: Party = { mailboxId: '', mailboxName: 'Central System Mailbox', odsCode: 'X26', orgCode: 'X26' };

/** The non-delivery REPORT the sender receives for an uncollected message. */
export function nonDeliveryReport(original: Message, at: Date): Message {
  return {
    messageId: newMessageId(at),
    messageType: 'REPORT',
    sender: CENTRAL_SYSTEM_MAILBOX,
    recipient: original.sender,
    workflowId: original.workflowId,
    totalChunks: 1,
    contentEncoding: '',
    subject: original.subject,
    localId: original.localId,
    encrypted: false,
    compressed: false,
    linkedMessageId: original.messageId,
    statusCode: UNDELIVERED.code,
    statusEvent: UNDELIVERED.event,
    statusDescription: UNDELIVERED.description,
    createdAt: at,
  };
}

export interface SweepResult {
  expired: number;
  reports: number;
  purged: number;
}

const BATCH = 500;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One expiry pass at `ctx.clock.now()`: messages uncollected for 5 days leave the inbox and their
 * senders get a REPORT (status 14, mex-LinkedMsgID), each in one transaction with the expiry, so a
 * crash neither loses a report nor sends two; everything delivered (or, never delivered, created)
 * more than 30 days ago is purged. Any number of processes may sweep at once (SKIP LOCKED).
 */
export async function sweepExpiredMessages(ctx: PlatformContext, bodies: BodyStore = pgBodyStore(ctx.db)): Promise<SweepResult> {
  const now = ctx.clock.now();
  const result: SweepResult = { expired: 0, reports: 0, purged: 0 };
  for (;;) {
    const expiredNow: Array<{ messageId: string; sender: string; recipient: string; reportId?: string }> = [];
    const done = await ctx.db.tx(async (tx) => {
      const ids = await claimExpired(tx, now, BATCH);
      // Each REPORT takes its recipient's inbox position lock until this transaction commits
      // (store/inbox.ts): taken in one order (by mailbox), so two sweepers cannot deadlock on them.
      const batch = (await findMessages(tx, ids)).sort((a, b) => compare(a.message.sender.mailboxId, b.message.sender.mailboxId));
      for (const stored of batch) {
        const id = stored.message.messageId;
        if (!(await removeFromInbox(tx, id))) continue;
        await appendEvent(tx, id, { status: 'expired', at: now, ...UNDELIVERED });
        result.expired += 1;
        await enqueueEvent(tx, { type: 'mesh-message-expired', source: 'messaging', payload: { messageId: id, sender: stored.message.sender.mailboxId, recipient: stored.message.recipient.mailboxId } });
        // Reports about reports, or about system messages, would go nowhere.
        let reportId: string | undefined;
        if (stored.message.messageType === 'DATA' && stored.message.sender.mailboxId) {
          const report = nonDeliveryReport(stored.message, now);
          await insertMessage(tx, report);
          if (await acceptMessage(tx, report, now)) {
            result.reports += 1;
            reportId = report.messageId;
          }
        }
        expiredNow.push({ messageId: id, sender: stored.message.sender.mailboxId, recipient: stored.message.recipient.mailboxId, reportId });
      }
      return ids.length < BATCH;
    });
    // Audited once committed: the expiry is a message event like a send or an acknowledge.
    for (const expired of expiredNow) {
      await ctx.audit.record({
        requestId: `mesh-expiry-${now.toISOString()}`,
        action: 'message.expire',
        resource: `MeshMessage/${expired.messageId}`,
        nhsNumbers: [],
        outcome: 'success',
        detail: { ...expired, statusCode: UNDELIVERED.code },
      });
    }
    if (done) break;
  }
  for (;;) {
    const done = await ctx.db.tx(async (tx) => {
      const ids = await messagesDueForPurge(tx, new Date(now.getTime() - PURGE_AFTER_MS), BATCH);
      await bodies.deleteMessages(tx, ids);
      await deleteMessages(tx, ids);
      result.purged += ids.length;
      return ids.length < BATCH;
    });
    if (done) break;
  }
  await forgetNoncesBefore(ctx.db, new Date(now.getTime() - 2 * AUTH_CLOCK_WINDOW_MS));
  return result;
}

/** Sweeps every `intervalMs`; one sweep at a time per process. */
export function startExpiryWorker(ctx: PlatformContext, bodies: BodyStore, intervalMs = 60_000): BackgroundWorker {
  return startPeriodic(ctx.log, 'MESH expiry sweep', intervalMs, () => sweepExpiredMessages(ctx, bodies));
}
