/**
 * `GET /consent/STU3/metadata`: NDOP's CapabilityStatement (`fhir/Examples/NDOP-CapabilityStatement-Example-1.json`)
 * as an instance of this server: the interactions it serves, JSON only.
 */
export function ndopCapabilityStatement(base: string, now: Date) {
  return {
    resourceType: 'CapabilityStatement',
    url: base,
    version: '1.0.0',
    name: 'NDOP-CapabilityStatement-1',
    status: 'active',
    date: now.toISOString(),
    publisher: 'OpenSpine',
    description: 'The National Data Opt-out Consent API (NHS England\'s NDOP, served by OpenSpine): create, update, search, read and history of NDOP-Consent-1 resources.',
    kind: 'instance',
    instantiates: ['https://fhir.nhs.uk/STU3/CapabilityStatement/NDOP-CapabilityStatement-1'],
    software: { name: 'OpenSpine National Data Opt-out', version: '0.1.0' },
    implementation: { description: 'OpenSpine NDOP Consent API', url: base },
    fhirVersion: '3.0.1',
    acceptUnknown: 'no',
    format: ['application/json+fhir', 'application/fhir+json'],
    profile: [{ reference: 'https://fhir.nhs.uk/STU3/StructureDefinition/NDOP-Consent-1' }],
    rest: [{
      mode: 'server',
      security: { description: 'OAuth2 access token from POST /oauth2/token: consent:write to create and update, consent:read to search and read (privacy officers)' },
      resource: [{
        type: 'Consent',
        profile: { reference: 'https://fhir.nhs.uk/STU3/StructureDefinition/NDOP-Consent-1', display: 'NDOP-Consent-1 Profile' },
        interaction: [{ code: 'create' }, { code: 'read' }, { code: 'vread' }, { code: 'update' }, { code: 'search-type' }, { code: 'history-type' }],
        versioning: 'versioned',
        readHistory: true,
        updateCreate: false,
        conditionalCreate: false,
        // The parameters a search takes: purpose and category narrow a patient's (or an id's) Consents.
        searchParam: [{ name: 'patient', type: 'reference' }, { name: '_id', type: 'token' }, { name: 'purpose', type: 'token' }, { name: 'category', type: 'token' }],
      }],
    }],
  };
}
