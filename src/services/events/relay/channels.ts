import type { MessagingApi } from '../../messaging/api.js';
import type { Queryable } from '../../../platform/db/pool.js';
import type { Delivery } from '../store/deliveries.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signBody } from '../domain/signing.js';

export type SendResult = { ok: true; messageId?: string } | { ok: false; error: string };

/** The Spine's events service as a MESH sender. */
export const EVENTS_SENDER = { mailboxId: 'SPINEEVENTS', mailboxName: 'OpenSpine events (NEMS, MNS)', odsCode: 'X26' };

/**
 * MESH: posted through the messaging service in the relay's transaction, so the message exists
 * exactly when the delivery is marked done. `Mex-LocalID` carries the idempotency key.
 */
export async function sendOverMesh(tx: Queryable, messaging: MessagingApi, delivery: Delivery, at: Date): Promise<SendResult> {
  const outcome = await messaging.postMessage(tx, {
    sender: EVENTS_SENDER, recipient: delivery.endpoint, workflowId: delivery.workflowId!, body: Buffer.from(delivery.body),
    contentType: delivery.contentType, partnerId: delivery.partnerId, localId: delivery.idempotencyKey.slice(0, 300),
  }, at);
  if (outcome.status === 'accepted') return { ok: true, messageId: outcome.messageId };
  return { ok: false, error: outcome.status === 'unknown-recipient' ? `MESH mailbox ${delivery.endpoint} is not registered or not active` : 'message too large for MESH' };
}

/**
 * A webhook (`rest-hook`): POST of the body, signed, with the idempotency key; any 2xx is delivered,
 * anything else (or no answer within the timeout) is retried later.
 */
export async function sendToWebhook(delivery: Delivery, secret: string, timeoutMs: number): Promise<SendResult> {
  try {
    const response = await fetch(delivery.endpoint, {
      method: 'POST',
      headers: {
        'content-type': delivery.contentType,
        [SIGNATURE_HEADER]: signBody(secret, delivery.body),
        [IDEMPOTENCY_HEADER]: delivery.idempotencyKey,
        'x-openspine-event-id': delivery.eventId,
        'x-openspine-event-type': delivery.eventType,
        'x-openspine-delivery-attempt': String(delivery.attempts + 1),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Drain so the connection goes back to the pool.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `webhook answered ${response.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: `webhook unreachable: ${cause ?? (err as Error).name}` };
  }
}
