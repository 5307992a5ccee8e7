import { SpineError } from '../../../platform/http/errors.js';
import { SDS_DIAGNOSTICS, SDS_ERRORS } from '../errors.js';
import { FHIR_SYSTEMS, type DeviceQuery, type EndpointQuery } from './model.js';

/**
 * SDS FHIR search parameters, checked as the SDS checks them: every value must carry its FHIR
 * identifier system (`system|value`); when a parameter repeats, the last usable value wins; any
 * other parameter is refused.
 */

export type RawQuery = Record<string, string | string[] | undefined>;

const values = (query: RawQuery, name: string): string[] => {
  const raw = query[name];
  return raw === undefined ? [] : [raw].flat();
};

const badRequest = (message: string) => new SpineError(SDS_ERRORS.BAD_REQUEST, SDS_DIAGNOSTICS.badRequest(message));

/**
 * The value after `system|` of the last occurrence carrying that system and a non-blank value, without
 * the spaces around it: the SDS looks values up in LDAP, whose matching rules ignore leading and
 * trailing spaces (RFC 4518 insignificant space handling), so `…|YES ` finds what `…|YES` finds where
 * compared as sent it found nothing. ODS codes and party keys are matched without regard to case (SDS
 * is an LDAP directory); interaction ids are URNs and matched exactly.
 */
function lastValueOf(query: RawQuery, name: string, system: string): string | undefined {
  const prefix = `${system}|`;
  const found = values(query, name).filter((v) => v.startsWith(prefix)).map((v) => v.slice(prefix.length).trim()).filter((v) => v !== '');
  const value = found.at(-1);
  if (value === undefined) return undefined;
  return system === FHIR_SYSTEMS.interactionId ? value : value.toUpperCase();
}

function checkShapes(query: RawQuery, allowed: readonly string[]) {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name)) throw badRequest(SDS_DIAGNOSTICS.illegalParameter(name));
  }
  for (const value of values(query, 'organization')) {
    if (!value.startsWith(`${FHIR_SYSTEMS.odsCode}|`)) {
      throw badRequest(SDS_DIAGNOSTICS.invalidParameter('organization', FHIR_SYSTEMS.odsCode));
    }
  }
  for (const value of values(query, 'identifier')) {
    if (!value.startsWith(`${FHIR_SYSTEMS.interactionId}|`) && !value.startsWith(`${FHIR_SYSTEMS.partyKey}|`)) {
      throw badRequest(SDS_DIAGNOSTICS.invalidIdentifier(FHIR_SYSTEMS.interactionId, FHIR_SYSTEMS.partyKey));
    }
  }
  for (const value of values(query, 'manufacturing-organization')) {
    if (!value.startsWith(`${FHIR_SYSTEMS.odsCode}|`)) {
      throw badRequest(SDS_DIAGNOSTICS.invalidParameter('manufacturing-organization', FHIR_SYSTEMS.odsCode));
    }
  }
}

/** GET /Device: organization and a service interaction are mandatory; party key and manufacturer optional. */
export function parseDeviceQuery(query: RawQuery): DeviceQuery {
  checkShapes(query, ['organization', 'identifier', 'manufacturing-organization']);
  const organization = lastValueOf(query, 'organization', FHIR_SYSTEMS.odsCode);
  if (!organization) throw badRequest(SDS_DIAGNOSTICS.invalidParameter('organization', FHIR_SYSTEMS.odsCode));
  const interactionId = lastValueOf(query, 'identifier', FHIR_SYSTEMS.interactionId);
  if (!interactionId) throw badRequest(SDS_DIAGNOSTICS.invalidParameter('identifier', FHIR_SYSTEMS.interactionId));
  const partyKey = lastValueOf(query, 'identifier', FHIR_SYSTEMS.partyKey);
  const manufacturingOrganization = lastValueOf(query, 'manufacturing-organization', FHIR_SYSTEMS.odsCode);
  return {
    organization,
    interactionId,
    ...(partyKey ? { partyKey } : {}),
    ...(manufacturingOrganization ? { manufacturingOrganization } : {}),
  };
}

/**
 * GET /Endpoint (spec): organisation + interaction + party key, organisation + party key,
 * organisation + interaction, or interaction + party key. Anything less is refused.
 */
export function parseEndpointQuery(query: RawQuery): EndpointQuery {
  checkShapes(query, ['organization', 'identifier']);
  const organization = lastValueOf(query, 'organization', FHIR_SYSTEMS.odsCode);
  const interactionId = lastValueOf(query, 'identifier', FHIR_SYSTEMS.interactionId);
  const partyKey = lastValueOf(query, 'identifier', FHIR_SYSTEMS.partyKey);
  const enough = organization ? Boolean(interactionId || partyKey) : Boolean(interactionId && partyKey);
  if (!enough) {
    throw badRequest(SDS_DIAGNOSTICS.invalidEndpointCombination(
      `organization=${FHIR_SYSTEMS.odsCode}|value`,
      `identifier=${FHIR_SYSTEMS.interactionId}|value`,
      `identifier=${FHIR_SYSTEMS.partyKey}|value`));
  }
  return {
    ...(organization ? { organization } : {}),
    ...(interactionId ? { interactionId } : {}),
    ...(partyKey ? { partyKey } : {}),
  };
}
