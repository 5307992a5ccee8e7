import { isUuid } from '../../../platform/uuids.js';
import { randomUUID } from 'node:crypto';
import { FHIR_SYSTEMS, RELIABILITY_KEYS, SDS_EXTENSIONS, type AccreditedSystem, type MhsEndpoint, type ReliabilityConfiguration } from './model.js';

/**
 * Reads SDS FHIR Device and Endpoint resources (spec examples, SDS test data) back into directory
 * records, so demo data is loaded from the NHS's own payloads. Throws a plain Error naming what is missing.
 */

type Json = Record<string, any>;


function identifierValue(identifiers: unknown, system: string): string | undefined {
  if (!Array.isArray(identifiers)) return undefined;
  const found = identifiers.find((i: Json) => i?.system === system && typeof i.value === 'string');
  return found?.value;
}

function required(value: string | undefined, what: string, resource: string): string {
  if (!value) throw new Error(`SDS ${resource} has no ${what}`);
  return value;
}

function interactionsOf(extensions: unknown): string[] {
  if (!Array.isArray(extensions)) return [];
  return extensions
    .filter((e: Json) => e?.url === SDS_EXTENSIONS.interactionId)
    .map((e: Json) => e.valueReference?.identifier?.value)
    .filter((v: unknown): v is string => typeof v === 'string');
}

/** Placeholder ids (`<TO_REPLACE>` in the SDS test data) get a fixed id derived from `fallbackId`. */
const idOf = (resource: Json, fallbackId: () => string) =>
  (typeof resource.id === 'string' && isUuid(resource.id) ? resource.id : fallbackId()).toUpperCase();

export function accreditedSystemFromDevice(device: Json, fallbackId: () => string = randomUUID): AccreditedSystem {
  if (device?.resourceType !== 'Device') throw new Error('not an SDS Device resource');
  const manufacturer = (device.extension ?? [])
    .find((e: Json) => e?.url === SDS_EXTENSIONS.manufacturingOrganisation)?.valueReference?.identifier?.value;
  return {
    id: idOf(device, fallbackId),
    asid: required(identifierValue(device.identifier, FHIR_SYSTEMS.asid), 'ASID', 'Device'),
    partyKey: required(identifierValue(device.identifier, FHIR_SYSTEMS.partyKey), 'party key', 'Device'),
    ownerOdsCode: required(device.owner?.identifier?.value, 'owner', 'Device'),
    ...(typeof manufacturer === 'string' ? { manufacturingOdsCode: manufacturer } : {}),
    interactions: interactionsOf(device.extension),
  };
}

export function mhsEndpointFromEndpoint(endpoint: Json, fallbackId: () => string = randomUUID): MhsEndpoint {
  if (endpoint?.resourceType !== 'Endpoint') throw new Error('not an SDS Endpoint resource');
  const reliabilityExtension = (endpoint.extension ?? []).find((e: Json) => e?.url === SDS_EXTENSIONS.reliability);
  let reliability: ReliabilityConfiguration | undefined;
  if (reliabilityExtension && Array.isArray(reliabilityExtension.extension)) {
    reliability = {};
    for (const entry of reliabilityExtension.extension as Json[]) {
      const key = RELIABILITY_KEYS.find((k) => k === entry?.url);
      if (key === 'nhsMHSRetries' && typeof entry.valueInteger === 'number') reliability.nhsMHSRetries = entry.valueInteger;
      else if (key && key !== 'nhsMHSRetries' && typeof entry.valueString === 'string') reliability[key] = entry.valueString;
    }
  }
  const cpaId = required(identifierValue(endpoint.identifier, FHIR_SYSTEMS.cpaId), 'CPA id', 'Endpoint');
  return {
    id: idOf(endpoint, fallbackId),
    partyKey: required(identifierValue(endpoint.identifier, FHIR_SYSTEMS.partyKey), 'party key', 'Endpoint'),
    managingOdsCode: required(endpoint.managingOrganization?.identifier?.value, 'managing organisation', 'Endpoint'),
    address: required(typeof endpoint.address === 'string' ? endpoint.address : undefined, 'address', 'Endpoint'),
    fqdn: required(identifierValue(endpoint.identifier, FHIR_SYSTEMS.mhsFqdn), 'FQDN', 'Endpoint'),
    cpaId,
    mhsId: identifierValue(endpoint.identifier, FHIR_SYSTEMS.mhsId) ?? cpaId,
    status: 'active',
    interactions: interactionsOf(endpoint.extension),
    ...(reliability ? { reliability } : {}),
  };
}
