/** The directory's accredited systems and MHS endpoints, as plain data (SDS LDAP attributes in spirit). */

export const FHIR_SYSTEMS = {
  odsCode: 'https://fhir.nhs.uk/Id/ods-organization-code',
  interactionId: 'https://fhir.nhs.uk/Id/nhsServiceInteractionId',
  partyKey: 'https://fhir.nhs.uk/Id/nhsMhsPartyKey',
  asid: 'https://fhir.nhs.uk/Id/nhsSpineASID',
  mhsFqdn: 'https://fhir.nhs.uk/Id/nhsMhsFQDN',
  cpaId: 'https://fhir.nhs.uk/Id/nhsMhsCPAId',
  mhsId: 'https://fhir.nhs.uk/Id/nhsMHSId',
} as const;

export const SDS_EXTENSIONS = {
  manufacturingOrganisation: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation',
  interactionId: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId',
  reliability: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ReliabilityConfiguration',
} as const;

/** An accredited system (AS) record: one ASID, deployed in one organisation. */
export interface AccreditedSystem {
  /** UUID, the FHIR Device id. */
  id: string;
  asid: string;
  partyKey: string;
  ownerOdsCode: string;
  manufacturingOdsCode?: string;
  /** Service interaction ids the system is accredited for, e.g. urn:nhs:names:services:psis:REPC_IN150016UK05. */
  interactions: string[];
}

/** ebXML reliability settings of an MHS record, named as the SDS ReliabilityConfiguration sub-extensions. */
export interface ReliabilityConfiguration {
  nhsMHSSyncReplyMode?: string;
  nhsMHSRetryInterval?: string;
  nhsMHSRetries?: number;
  nhsMHSPersistDuration?: string;
  nhsMHSDuplicateElimination?: string;
  nhsMHSAckRequested?: string;
  nhsMHSActor?: string;
}

/** The order SDS lists the reliability sub-extensions in (spec example Endpoint.json). */
export const RELIABILITY_KEYS = [
  'nhsMHSSyncReplyMode', 'nhsMHSRetryInterval', 'nhsMHSRetries', 'nhsMHSPersistDuration',
  'nhsMHSDuplicateElimination', 'nhsMHSAckRequested', 'nhsMHSActor',
] as const satisfies readonly (keyof ReliabilityConfiguration)[];

/** An MHS (message handling server) record: where and how a party key receives interactions. */
export interface MhsEndpoint {
  /** UUID, the FHIR Endpoint id. */
  id: string;
  partyKey: string;
  managingOdsCode: string;
  address: string;
  fqdn: string;
  cpaId: string;
  mhsId: string;
  status: 'active';
  interactions: string[];
  reliability?: ReliabilityConfiguration;
}

export interface DeviceQuery {
  organization: string;
  interactionId: string;
  partyKey?: string;
  manufacturingOrganization?: string;
}

export interface EndpointQuery {
  organization?: string;
  interactionId?: string;
  partyKey?: string;
}
