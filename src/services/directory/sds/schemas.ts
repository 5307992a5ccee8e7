import { SpineError } from '../../../platform/http/errors.js';
import type { ValidationFailure } from '../../../platform/http/validation.js';
import { SDS_DIAGNOSTICS, SDS_ERRORS } from '../errors.js';
import { FHIR_SYSTEMS } from './model.js';

/**
 * The SDS FHIR search parameters as route schemas: checked at the door (platform/http/validation.ts)
 * and published in the SDS OpenAPI document. A parameter may repeat (the door reads one as a list
 * of one); each value carries its identifier system (`system|value`). Checks run in the SDS's
 * order (the `allOf`): no parameter the resource does not know, then each value's system, then the
 * mandatory ones. Which combination is enough, and which value wins, stays with `query.ts`.
 */

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const MAX_VALUE = 1000;
const MAX_REPEATS = 20;

const valuesOf = (systems: string[], description: string) => ({
  type: 'array',
  maxItems: MAX_REPEATS,
  items: { type: 'string', maxLength: MAX_VALUE, pattern: `^(${systems.map(escape).join('|')})\\|` },
  description,
});

const organization = valuesOf([FHIR_SYSTEMS.odsCode], `The organisation's ODS code: \`${FHIR_SYSTEMS.odsCode}|{ODS code}\``);
const identifier = valuesOf([FHIR_SYSTEMS.interactionId, FHIR_SYSTEMS.partyKey],
  `A service interaction (\`${FHIR_SYSTEMS.interactionId}|{id}\`) and/or an MHS party key (\`${FHIR_SYSTEMS.partyKey}|{key}\`)`);
const manufacturingOrganization = valuesOf([FHIR_SYSTEMS.odsCode], `The manufacturer's ODS code: \`${FHIR_SYSTEMS.odsCode}|{ODS code}\``);

function searchSchema(properties: Record<string, object>, required: string[]) {
  const known = Object.fromEntries(Object.keys(properties).map((name) => [name, {}]));
  return {
    type: 'object',
    properties,
    required,
    allOf: [
      { properties: known, additionalProperties: false },
      { properties },
      ...required.map((name) => ({ required: [name] })),
    ],
  };
}

export const DeviceQuerySchema = searchSchema({ organization, identifier, 'manufacturing-organization': manufacturingOrganization }, ['organization', 'identifier']);
export const EndpointQuerySchema = searchSchema({ organization, identifier }, []);

/** A search the door refused, in the SDS's words (the diagnostics `query.ts` uses for the same faults). */
export function sdsRefusal(failure: ValidationFailure): SpineError {
  const name = failure.path.split('/')[0] ?? '';
  const badRequest = (message: string) => new SpineError(SDS_ERRORS.BAD_REQUEST, SDS_DIAGNOSTICS.badRequest(message));
  if (failure.part !== 'querystring') return badRequest(`Invalid ${failure.part} '${failure.path}'`);
  if (failure.kind === 'unexpected') return badRequest(SDS_DIAGNOSTICS.illegalParameter(name));
  if (name === 'identifier') {
    return failure.kind === 'missing'
      ? badRequest(SDS_DIAGNOSTICS.invalidParameter('identifier', FHIR_SYSTEMS.interactionId))
      : badRequest(SDS_DIAGNOSTICS.invalidIdentifier(FHIR_SYSTEMS.interactionId, FHIR_SYSTEMS.partyKey));
  }
  return badRequest(SDS_DIAGNOSTICS.invalidParameter(name, FHIR_SYSTEMS.odsCode));
}
