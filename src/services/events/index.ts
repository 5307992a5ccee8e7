import type { PlatformContext, ServiceModule } from '../../platform/service.js';
import { demographicsApi } from '../demographics/api.js';
import { directoryApi } from '../directory/api.js';
import { messagingApi } from '../messaging/api.js';
import { eventsMigrations } from './migrations.js';
import { mnsRoutes } from './routes/mns.js';
import { nemsRoutes } from './routes/nems.js';
import { adminRoutes } from './routes/admin.js';
import { registerRelayMetrics, type RelayMetrics } from './relay/metrics.js';
import { webhookReachOf } from './domain/webhook-reach.js';
import { startRelay, type RelayDeps } from './relay/relay.js';
import { relayPool, type RelayDb } from './relay/relay-db.js';

/** The Spine's own ASID as an event source (`MessageHeader.source.endpoint`). */
const SPINE_ASID = '477121000323';

// The relay's metrics live in the server's registry, known only once routes are registered.
const metricsOf = new WeakMap<PlatformContext, RelayMetrics>();

function relayDeps(ctx: PlatformContext, db: RelayDb = ctx.db): RelayDeps {
  return {
    db, log: ctx.log, audit: ctx.audit, config: ctx.config.events, messaging: messagingApi(ctx.db), webhookReach: webhookReachOf(ctx.config),
    sources: {
      demographics: demographicsApi(db), directory: directoryApi(db), spineAsid: SPINE_ASID,
      // Read when used: with an ephemeral port the base URL is known only once the server listens.
      get baseUrl() { return ctx.config.publicBaseUrl; },
    },
    subscriptionUrl: (api, id) => api === 'nems'
      ? `${ctx.config.publicBaseUrl}/nems/STU3/Subscription/${id}`
      : `${ctx.config.publicBaseUrl}/multicast-notification-service/subscriptions/${id}`,
    get metrics() { return metricsOf.get(ctx); },
    now: () => ctx.clock.now(),
  };
}

/**
 * Events (NEMS and MNS): subscriptions, publishing, and the relay that delivers everything the
 * platform outbox holds to MESH mailboxes and webhooks, at least once and in order per patient.
 */
export const eventsService: ServiceModule = {
  name: 'events',
  migrations: [eventsMigrations],
  async routes(app, ctx) {
    metricsOf.set(ctx, registerRelayMetrics(app.metrics, ctx.db));
    await app.register(async (mns) => mnsRoutes(mns, ctx), { prefix: '/multicast-notification-service' });
    await app.register(async (nems) => nemsRoutes(nems, ctx), { prefix: '/nems/STU3' });
    await app.register(async (admin) => adminRoutes(admin, ctx, relayDeps(ctx)));
  },
  startWorkers: (ctx) => {
    if (!ctx.config.events.enabled) return [];
    // Routing (1), two delivery loops (1 each) and routing's look-ups (4 at once): a pool of its own.
    const db = relayPool(ctx.db, 8);
    const relay = startRelay(relayDeps(ctx, db));
    return [{ stop: async () => { await relay.stop(); await db.close(); } }];
  },
};
