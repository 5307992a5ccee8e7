import type { ServiceModule } from '../../platform/service.js';

/** Placeholder registration: the service's routes are not built yet. */
export const messagingService: ServiceModule = {
  name: 'messaging',
  migrations: [],
  async routes() {},
};
