import type { PlatformContext } from '../../../platform/service.js';
import { insertOrganisationIfAbsent } from '../store/organisations.js';
import { insertAccreditedSystemIfAbsent, insertMhsEndpointIfAbsent } from '../store/sds.js';
import { DEMO_ORGANISATIONS } from './demo-records.js';
import { sdsDemoAccreditedSystems, sdsDemoMhsEndpoints } from './sds-data.js';

/**
 * Dataset `nhs-sds-sandbox`: the NHS SDS example and test-data Devices and Endpoints, and the
 * organisations they name, for a deployment started without demo data. Inserts only what is absent.
 */
export async function loadSdsSandbox(ctx: PlatformContext): Promise<string> {
  const systems = sdsDemoAccreditedSystems();
  const endpoints = sdsDemoMhsEndpoints();
  const named = new Set([...systems.flatMap((s) => [s.ownerOdsCode, s.manufacturingOdsCode]), ...endpoints.map((e) => e.managingOdsCode)]);
  const organisations = DEMO_ORGANISATIONS.filter((org) => named.has(org.odsCode));
  const added = { organisations: 0, systems: 0, endpoints: 0 };
  await ctx.db.tx(async (tx) => {
    for (const org of organisations) if (await insertOrganisationIfAbsent(tx, org)) added.organisations += 1;
    for (const system of systems) if (await insertAccreditedSystemIfAbsent(tx, system)) added.systems += 1;
    for (const endpoint of endpoints) if (await insertMhsEndpointIfAbsent(tx, endpoint)) added.endpoints += 1;
  });
  return `${systems.length} accredited systems (${added.systems} new), ${endpoints.length} MHS endpoints (${added.endpoints} new), `
    + `${organisations.length} organisations (${added.organisations} new)`;
}
