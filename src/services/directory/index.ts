import type { ServiceModule } from '../../platform/service.js';
import { directoryMigrations } from './migrations.js';
import { seedDirectoryDemo } from './seed/demo.js';

export const directoryService: ServiceModule = {
  name: 'directory',
  migrations: [directoryMigrations],
  async routes() {},
  seedDemo: seedDirectoryDemo,
};
