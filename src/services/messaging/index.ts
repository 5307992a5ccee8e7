import type { ServiceModule } from '../../platform/service.js';
import { mailboxCache, workflowCache } from './auth/mailbox-cache.js';
import { startExpiryWorker } from './handlers/expiry.js';
import { loadMeshSandbox, meshFilesDataset } from './handlers/seed.js';
import { meshPlugin } from './routes/mesh-plugin.js';
import { sandboxAdminPlugin } from './routes/admin.js';
import { messagingMigrations } from './store/migrations.js';
import { pgBodyStore } from './store/pg-body-store.js';
import { nonceLedger } from './store/nonces.js';
import { UploadSlots } from './handlers/upload-slots.js';
import { MESH_OVERLOAD_ANSWERS } from './views/overload.js';

export { sweepExpiredMessages } from './handlers/expiry.js';

/** MESH: store-and-forward mailboxes under `/messageexchange` (NHS England's MESH API v2). */
export const messagingService: ServiceModule = {
  name: 'messaging',
  migrations: [messagingMigrations],
  async routes(app, ctx) {
    // An upload waits for a slot as long as a call waits for a connection (2 s unless configured; never for ever).
    const uploads = UploadSlots.forPool(ctx.config.pool.max, ctx.config.pool.connectTimeoutMs || 2_000);
    const deps = { ctx, bodies: pgBodyStore(ctx.db), mailboxes: mailboxCache(ctx.db), workflows: workflowCache(ctx.db), nonces: nonceLedger(ctx.db), uploads };
    app.addHook('onClose', () => deps.nonces.close());
    await app.register(async (mesh) => meshPlugin(mesh, deps), { prefix: '/messageexchange' });
    if (ctx.config.sandbox) {
      // The MESH sandbox's testing routes: in sandbox mode only (404 otherwise), at both prefixes.
      await app.register(async (admin) => sandboxAdminPlugin(admin, deps, { report: false }));
      await app.register(async (admin) => sandboxAdminPlugin(admin, deps, { report: true }), { prefix: '/messageexchange' });
    }
  },
  datasets: {
    'mesh-sandbox': (ctx) => loadMeshSandbox(ctx, pgBodyStore(ctx.db)),
    'mesh-files': meshFilesDataset,
  },
  startWorkers: (ctx) => [startExpiryWorker(ctx, pgBodyStore(ctx.db))],
  overloadAnswers: MESH_OVERLOAD_ANSWERS,
};
