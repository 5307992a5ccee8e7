import type { MessagingApi } from '../../messaging/api.js';
import type { Queryable } from '../../../platform/db/pool.js';
import type { DueDelivery } from '../store/deliveries.js';
import { Pool } from 'undici';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signBody } from '../domain/signing.js';
import type { WebhookReach } from '../domain/webhook-reach.js';

export type SendResult = { ok: true; messageId?: string } | { ok: false; error: string };

/** The Spine's events service as a MESH sender. */
export const EVENTS_SENDER = { mailboxId: 'SPINEEVENTS', mailboxName: 'OpenSpine events (NEMS, MNS)', odsCode: 'X26' };

/**
 * MESH: posted through the messaging service in the relay's transaction, so the message exists
 * exactly when the delivery is marked done. `Mex-LocalID` carries the idempotency key.
 */
export async function sendOverMesh(tx: Queryable, messaging: MessagingApi, delivery: DueDelivery, at: Date): Promise<SendResult> {
  const outcome = await messaging.postMessage(tx, {
    sender: EVENTS_SENDER, recipient: delivery.endpoint, workflowId: delivery.workflowId!, body: Buffer.from(delivery.body),
    contentType: delivery.contentType, partnerId: delivery.partnerId, localId: delivery.idempotencyKey.slice(0, 300),
  }, at);
  if (outcome.status === 'accepted') return { ok: true, messageId: outcome.messageId };
  return { ok: false, error: outcome.status === 'unknown-recipient' ? `MESH mailbox ${delivery.endpoint} is not registered or not active` : 'message too large for MESH' };
}

/**
 * The relay's HTTP client for webhooks: one keep-alive pool per origin (undici's `Pool`), so a
 * busy subscription reuses its connections instead of paying a handshake per delivery, and a
 * round's many deliveries to one receiver go out over a bounded number of sockets. Every connection
 * is made only to an address the reach allows: an address in the URL is checked before the
 * request, a name's addresses as it is resolved for the connection (`WebhookReach.lookup`).
 */
/** A pool unused this long is closed and forgotten (its sockets closed after KEEP_ALIVE_MS already). */
const POOL_IDLE_MS = 10 * 60_000;
const KEEP_ALIVE_MS = 30_000;

export class WebhookClient {
  /** In order of last use, oldest first (a Map keeps insertion order; a use moves the pool to the end). */
  private readonly pools = new Map<string, { pool: Pool; usedAt: number }>();
  /** Each endpoint parsed once (origin and path), not once per delivery; undefined for one that is not a URL. */
  private readonly targets = new Map<string, { origin: string; path: string; allowed: boolean } | undefined>();

  constructor(private readonly timeoutMs: number, private readonly reach: WebhookReach, private readonly connectionsPerOrigin = 16, private readonly now: () => number = Date.now) {}

  /** Origins with a pool now (for tests and metrics). */
  get origins(): string[] {
    return [...this.pools.keys()];
  }

  /**
   * POST of the body, signed, with the idempotency key; any 2xx is delivered, anything else (or no
   * answer within the timeout) is retried later. Redirects are not followed (a 3xx is a failure).
   * `endpoint`: the subscription's URL now, which a replace (PUT) may have changed since routing.
   */
  async send(delivery: DueDelivery, secret: string, endpoint = delivery.endpoint): Promise<SendResult> {
    const target = this.targetOf(endpoint);
    if (!target) return { ok: false, error: 'webhook endpoint is not a URL' };
    // A subscription made before its address was refused, or under other networks, is not sent.
    if (!target.allowed) return { ok: false, error: 'webhook endpoint is an address a webhook may not reach' };
    try {
      const response = await this.poolFor(target.origin).request({
        method: 'POST',
        path: target.path,
        headers: {
          'content-type': delivery.contentType,
          [SIGNATURE_HEADER]: signBody(secret, delivery.body),
          [IDEMPOTENCY_HEADER]: delivery.idempotencyKey,
          'x-openspine-event-id': delivery.eventId,
          'x-openspine-event-type': delivery.eventType,
          'x-openspine-delivery-attempt': String(delivery.attempts + 1),
        },
        body: delivery.body,
        // Each delivery carries its idempotency key, so a POST may share a pipelined connection.
        idempotent: true,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      // Drain so the connection goes back to the pool.
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
      return { ok: false, error: `webhook answered ${response.statusCode}` };
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'EWEBHOOKADDRESS') return { ok: false, error: `webhook unreachable: ${(err as Error).message}` };
      return { ok: false, error: `webhook unreachable: ${code ?? (err as Error).name}` };
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(({ pool }) => pool.destroy().catch(() => undefined)));
  }

  private targetOf(endpoint: string): { origin: string; path: string; allowed: boolean } | undefined {
    if (this.targets.has(endpoint)) return this.targets.get(endpoint);
    let target: { origin: string; path: string; allowed: boolean } | undefined;
    try {
      const url = new URL(endpoint);
      target = { origin: url.origin, path: `${url.pathname}${url.search}`, allowed: this.reach.allowsHost(url.hostname) };
    } catch {
      target = undefined;
    }
    // Bounded: endpoints come and go with subscriptions.
    if (this.targets.size >= 10_000) this.targets.clear();
    this.targets.set(endpoint, target);
    return target;
  }

  /**
   * The origin's pool, made on first use. Subscriptions come and go, so pools unused for
   * POOL_IDLE_MS are closed and forgotten as others are used (the oldest are at the front).
   */
  private poolFor(origin: string): Pool {
    const now = this.now();
    for (const [idle, entry] of this.pools) {
      if (now - entry.usedAt < POOL_IDLE_MS) break;
      this.pools.delete(idle);
      // Nothing is in flight on a pool unused for minutes; a close that fails has nothing to lose.
      entry.pool.close().catch(() => undefined);
    }
    let entry = this.pools.get(origin);
    if (entry) {
      this.pools.delete(origin);
    } else {
      entry = {
        pool: new Pool(origin, {
          connections: this.connectionsPerOrigin, pipelining: 4, keepAliveTimeout: KEEP_ALIVE_MS,
          connect: { timeout: this.timeoutMs, lookup: this.reach.lookup },
        }),
        usedAt: now,
      };
    }
    entry.usedAt = now;
    this.pools.set(origin, entry);
    return entry.pool;
  }
}
