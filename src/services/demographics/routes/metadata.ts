import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { registerHealth } from '../../../platform/http/health.js';
import { SEARCH_PARAMETERS } from '../search/parse-search-params.js';
import { PDS_BASE } from './paths.js';

const SEARCH_PARAMETER_TYPES: Record<string, string> = {
  birthdate: 'date', 'death-date': 'date', gender: 'token', 'general-practitioner': 'reference', email: 'token', phone: 'token',
  '_fuzzy-match': 'special', '_exact-match': 'special', '_history': 'special', history: 'special', '_max-results': 'number',
};

/** FHIR CapabilityStatement: what this PDS answers, for clients that discover it. */
function capabilityStatement(now: Date) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString(),
    publisher: 'OpenSpine',
    kind: 'instance',
    software: { name: 'OpenSpine Personal Demographics Service', version: '0.1.0' },
    implementation: { description: 'PDS FHIR API', url: PDS_BASE },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json'],
    rest: [{
      mode: 'server',
      resource: [
        {
          type: 'Patient',
          profile: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient',
          interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'patch' }, { code: 'create' }],
          versioning: 'versioned-update',
          conditionalUpdate: false,
          searchParam: SEARCH_PARAMETERS.filter((p) => p !== 'history').map((name) => ({ name, type: SEARCH_PARAMETER_TYPES[name] ?? 'string' })),
        },
        { type: 'RelatedPerson', interaction: [{ code: 'search-type' }] },
        { type: 'Coverage', interaction: [{ code: 'search-type' }, { code: 'create' }], searchParam: [{ name: 'subscriber:identifier', type: 'token' }] },
      ],
    }],
  };
}

export function registerMetadataRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.get(`${PDS_BASE}/metadata`, { config: { public: true } }, async (_request, reply) =>
    reply.type('application/fhir+json').send(capabilityStatement(ctx.clock.now())));
  registerHealth(app, ctx.config, ctx.db, '/personal-demographics');
}
