import { randomUUID } from 'node:crypto';
import { FHIR_SYSTEMS, RELIABILITY_KEYS, SDS_EXTENSIONS, type AccreditedSystem, type MhsEndpoint } from './model.js';

/** FHIR R4 renderings of directory records, shaped as the SDS spec examples (components/examples/*.json). */

type Json = Record<string, unknown>;

const identifier = (system: string, value: string) => ({ system, value });

const interactionExtension = (interactionId: string) => ({
  url: SDS_EXTENSIONS.interactionId,
  valueReference: { identifier: identifier(FHIR_SYSTEMS.interactionId, interactionId) },
});

export function deviceResource(system: AccreditedSystem): Json {
  return {
    resourceType: 'Device',
    id: system.id,
    identifier: [identifier(FHIR_SYSTEMS.asid, system.asid), identifier(FHIR_SYSTEMS.partyKey, system.partyKey)],
    extension: [
      ...(system.manufacturingOdsCode
        ? [{
          url: SDS_EXTENSIONS.manufacturingOrganisation,
          valueReference: { identifier: identifier(FHIR_SYSTEMS.odsCode, system.manufacturingOdsCode) },
        }]
        : []),
      ...system.interactions.map(interactionExtension),
    ],
    owner: { identifier: identifier(FHIR_SYSTEMS.odsCode, system.ownerOdsCode) },
  };
}

export function endpointResource(endpoint: MhsEndpoint): Json {
  const reliability = endpoint.reliability;
  const reliabilityEntries = reliability
    ? RELIABILITY_KEYS.filter((key) => reliability[key] !== undefined).map((key) => {
      const value = reliability[key];
      return typeof value === 'number' ? { url: key, valueInteger: value } : { url: key, valueString: value };
    })
    : [];
  return {
    resourceType: 'Endpoint',
    id: endpoint.id,
    status: endpoint.status,
    connectionType: {
      system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
      code: 'hl7-fhir-msg',
      display: 'HL7 FHIR Messaging',
    },
    payloadType: [{
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any', display: 'Any' }],
    }],
    address: endpoint.address,
    managingOrganization: { identifier: identifier(FHIR_SYSTEMS.odsCode, endpoint.managingOdsCode) },
    identifier: [
      identifier(FHIR_SYSTEMS.mhsFqdn, endpoint.fqdn),
      identifier(FHIR_SYSTEMS.partyKey, endpoint.partyKey),
      identifier(FHIR_SYSTEMS.cpaId, endpoint.cpaId),
      identifier(FHIR_SYSTEMS.mhsId, endpoint.mhsId),
    ],
    extension: [
      ...(reliabilityEntries.length > 0 ? [{ url: SDS_EXTENSIONS.reliability, extension: reliabilityEntries }] : []),
      ...endpoint.interactions.map(interactionExtension),
    ],
  };
}

/**
 * The SDS searchset: a fresh upper-case UUID per answer, the request URL (decoded) as the self link,
 * every entry in "match" mode, and `entry: []` rather than no entry when nothing matched.
 */
export function sdsSearchset(resources: Json[], options: { selfUrl: string; resourceBaseUrl: string }): Json {
  return {
    resourceType: 'Bundle',
    id: randomUUID().toUpperCase(),
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'self', url: options.selfUrl }],
    entry: resources.map((resource) => ({
      fullUrl: `${options.resourceBaseUrl}/${String(resource.id)}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
