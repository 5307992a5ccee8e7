import { ACTIVITIES, type Principal } from './activities.js';

/**
 * In sandbox mode (suppliers testing locally, like NHS England's sandboxes) a call without a token
 * acts as this built-in app and healthcare worker. Never allowed on a non-loopback listener.
 */
export const SANDBOX_PRINCIPAL: Principal = {
  appId: 'sandbox',
  apiKey: 'sandbox',
  appName: 'Sandbox application',
  odsCode: 'Y12345',
  accessMode: 'user',
  userId: '555021935107',
  roleProfileId: '555021936108',
  roleCode: 'R8000',
  activities: [...ACTIVITIES],
  rateLimit: 1_000_000,
  sandbox: true,
};
