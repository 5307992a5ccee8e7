import type { ServiceName } from '../platform/config.js';
import type { ServiceModule } from '../platform/service.js';
import { identityService } from './identity/index.js';
import { directoryService } from './directory/index.js';
import { auditService } from './audit/index.js';
import { demographicsService } from './demographics/index.js';
import { messagingService } from './messaging/index.js';
import { recordLocatorService } from './record-locator/index.js';
import { eventsService } from './events/index.js';
import { consentService } from './consent/index.js';
import { exportService } from './export/index.js';
import { prescriptionsService } from './prescriptions/index.js';
import { consoleService } from './console/index.js';

/** Every service, in migration and seeding order: the ones others depend on first. */
export const ALL_SERVICES: readonly ServiceModule[] = [
  identityService,
  directoryService,
  auditService,
  demographicsService,
  messagingService,
  recordLocatorService,
  eventsService,
  consentService,
  exportService,
  prescriptionsService,
  consoleService,
];

export function servicesNamed(names: readonly ServiceName[]): ServiceModule[] {
  return ALL_SERVICES.filter((s) => names.includes(s.name));
}
