import { SpineError } from '../../../platform/http/errors.js';
import { SDS_DIAGNOSTICS, SDS_ERRORS } from '../errors.js';
import { FHIR_SYSTEMS } from './model.js';

/**
 * The most records one SDS search answers. The SDS spec returns "all accredited systems found that
 * match the search criteria" and has neither paging nor a documented limit, so this bound is
 * OpenSpine's choice: real searches (an organisation and an interaction, a party key) match a
 * handful, and an answer of every match of a broad one was built whole in memory (1,005 Devices:
 * about 1 MB of JSON; a record may list up to 5,000 interactions). A search matching more is refused
 * with a 400 in the SDS's error shape that says how to narrow it, rather than cut short: a Bundle
 * whose entries stop at the bound would read as every match to a client that trusts the spec's "all".
 */
export const SDS_MAX_MATCHES = 1_000;

/** What the store is asked for: one more than an answer carries, so a search over the bound is known without reading it all. */
export const SDS_FETCH_LIMIT = SDS_MAX_MATCHES + 1;

const NARROWER = {
  Device: `add identifier=${FHIR_SYSTEMS.partyKey}|value or manufacturing-organization=${FHIR_SYSTEMS.odsCode}|value`,
  Endpoint: `give all three of organization=${FHIR_SYSTEMS.odsCode}|value, identifier=${FHIR_SYSTEMS.interactionId}|value and identifier=${FHIR_SYSTEMS.partyKey}|value`,
} as const;

/** The matches, or the SDS's 400 when the store found more than an answer carries. */
export function withinBound<T>(resource: keyof typeof NARROWER, matches: T[]): T[] {
  if (matches.length <= SDS_MAX_MATCHES) return matches;
  throw new SpineError(SDS_ERRORS.TOO_MANY_MATCHES, SDS_DIAGNOSTICS.badRequest(SDS_DIAGNOSTICS.tooManyMatches(SDS_MAX_MATCHES, NARROWER[resource])));
}
