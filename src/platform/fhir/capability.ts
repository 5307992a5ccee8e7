/** What one FHIR API serves, for `GET <base>/metadata` (FHIR R4 CapabilityStatement, kind instance). */
export interface CapabilityInput {
  software: string;
  description: string;
  /** The FHIR base URL of this API. */
  url: string;
  resources: object[];
  security?: string;
  formats?: string[];
  patchFormats?: string[];
  now: Date;
}

export function capabilityStatement(input: CapabilityInput) {
  const rest: Record<string, unknown> = { mode: 'server' };
  if (input.security) rest.security = { description: input.security };
  rest.resource = input.resources;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: input.now.toISOString(),
    publisher: 'OpenSpine',
    kind: 'instance',
    software: { name: input.software, version: '0.1.0' },
    implementation: { description: input.description, url: input.url },
    fhirVersion: '4.0.1',
    format: input.formats ?? ['application/fhir+json'],
    ...(input.patchFormats ? { patchFormat: input.patchFormats } : {}),
    rest: [rest],
  };
}
