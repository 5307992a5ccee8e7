/**
 * The real platform (every service, auth guard, rate limit, audit writer) plus one bench-only service
 * whose route does the least a patient-data route can: be authorised, have its audit record written durably,
 * and answer a small JSON. Started as its own process by bench/trivial-read.ts.
 */
import type { ServiceName } from '../../src/platform/config.js';
import type { ServiceModule } from '../../src/platform/service.js';

// The code under test is the build (dist/), exactly what `openspine serve` runs; src/ only lends the types.
const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).href;
const { loadConfig } = await import(dist('platform/config.js')) as typeof import('../../src/platform/config.js');
const { startSpine } = await import(dist('platform/runtime.js')) as typeof import('../../src/platform/runtime.js');
const { ALL_SERVICES } = await import(dist('services/registry.js')) as typeof import('../../src/services/registry.js');

const benchModule: ServiceModule = {
  // Not a real service: the name only labels it; it has no tables and is never selected by --services.
  name: 'bench' as ServiceName,
  migrations: [],
  async routes(app) {
    // Audited as every patient-data route is: the platform writes the entry, durably, before the answer goes out.
    app.get<{ Params: { nhsNumber: string } }>('/bench/trivial/:nhsNumber', { config: { activity: 'patient:read', audit: { action: 'patient.read' } } }, async (request) => {
      const { nhsNumber } = request.params;
      request.audited = { resource: `Patient/${nhsNumber}`, nhsNumbers: [nhsNumber] };
      return { resourceType: 'Patient', id: nhsNumber };
    });
  },
};

const argv = process.argv;
const config = loadConfig({ port: argv[argv.indexOf('--port') + 1], host: '127.0.0.1', demo: true, dataDir: argv[argv.indexOf('--data-dir') + 1] });
const spine = await startSpine(config, { modules: [...ALL_SERVICES, benchModule] });
const stop = () => spine.stop().then(() => process.exit(0), () => process.exit(1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
