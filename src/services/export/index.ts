import type { PlatformContext, ServiceModule } from '../../platform/service.js';
import { serveOpenApi } from '../../platform/http/openapi.js';
import { exportMigrations } from './migrations.js';
import { exportRoutes } from './routes.js';
import { startExportRunner, type ExportRunner } from './worker.js';

/**
 * Bulk export for secondary uses (FHIR Bulk Data `$export`): PDS patients and NRL pointers as
 * ndjson, through those services' `api.ts`, with every patient who has a national data opt-out
 * removed (through consent's `api.ts`). Its own bounded context: it owns export jobs and files,
 * and enforces the opt-out rather than holding it.
 */
const runners = new WeakMap<PlatformContext, ExportRunner>();

export const exportService: ServiceModule = {
  name: 'export',
  migrations: [exportMigrations],
  async routes(app, ctx) {
    await app.register(async (bulk) => {
      await serveOpenApi(bulk, {
        path: '/openapi.json',
        title: 'OpenSpine bulk export (FHIR Bulk Data $export)',
        description: 'Asynchronous $export of PDS patients and NRL pointers for secondary uses, opted-out patients removed.',
      });
      await exportRoutes(bulk, ctx, () => runners.get(ctx));
    }, { prefix: '/export/FHIR/R4' });
  },
  startWorkers(ctx) {
    const runner = startExportRunner(ctx);
    runners.set(ctx, runner);
    return [runner];
  },
};
