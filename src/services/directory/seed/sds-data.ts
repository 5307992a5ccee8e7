import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { accreditedSystemFromDevice, mhsEndpointFromEndpoint } from '../sds/from-fhir.js';
import type { AccreditedSystem, MhsEndpoint } from '../sds/model.js';

/**
 * The SDS demo records, read from the NHS's own payloads copied under spec/nhs/sds (see
 * spec/nhs/SOURCES.md): the integration-test Device and Endpoints (OpenTest data) and the spec's
 * example Device. The spec's example Endpoint is left out: it has the same party key, organisation
 * and interaction as the test-data Endpoint, so loading both would answer two MHS records where SDS has one.
 */

// Four levels up from src/services/directory/seed (or dist/services/directory/seed) is the project root.
const SDS_DIR = fileURLToPath(new URL('../../../../spec/nhs/sds/', import.meta.url));

export const SDS_DEVICE_FILES = ['test_data/device.json', 'specification/components/examples/Device.json'];
export const SDS_ENDPOINT_FILES = ['test_data/endpoint.json', 'test_data/endpoint_forward_express.json', 'test_data/endpoint_forward_reliable.json'];

export function readSdsFile(relativePath: string): any {
  return JSON.parse(readFileSync(`${SDS_DIR}${relativePath}`, 'utf8'));
}

/** The test data carries `<TO_REPLACE>` ids; a UUID derived from the file name keeps re-seeding idempotent. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

/** A file holds a single resource or a searchset Bundle of them. */
function resourcesIn(json: any): any[] {
  return json?.resourceType === 'Bundle' ? (json.entry ?? []).map((e: any) => e.resource) : [json];
}

export function sdsDemoAccreditedSystems(): AccreditedSystem[] {
  return SDS_DEVICE_FILES.flatMap((file) => resourcesIn(readSdsFile(file))
    .map((device, i) => accreditedSystemFromDevice(device, () => stableUuid(`sds:${file}:${i}`))));
}

export function sdsDemoMhsEndpoints(): MhsEndpoint[] {
  return SDS_ENDPOINT_FILES.flatMap((file) => resourcesIn(readSdsFile(file))
    .map((endpoint, i) => mhsEndpointFromEndpoint(endpoint, () => stableUuid(`sds:${file}:${i}`))));
}
