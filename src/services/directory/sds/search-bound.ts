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

/**
 * The most interaction ids one answer lists, over all its records: about 22 MB of JSON (each is a
 * 220-byte extension). Counting records alone bounded nothing: a record may list 5,000 interactions,
 * so 1,000 of them made an answer of about a gigabyte, built whole in memory.
 */
export const SDS_MAX_INTERACTIONS = 100_000;

/** What the store is asked for: one record more than an answer carries, and records until their interactions pass the bound, so a search over either is known without reading it all. */
export const SDS_FETCH_BOUND = { records: SDS_MAX_MATCHES + 1, interactions: SDS_MAX_INTERACTIONS } as const;

const NARROWER = {
  Device: `add identifier=${FHIR_SYSTEMS.partyKey}|value or manufacturing-organization=${FHIR_SYSTEMS.odsCode}|value`,
  Endpoint: `give all three of organization=${FHIR_SYSTEMS.odsCode}|value, identifier=${FHIR_SYSTEMS.interactionId}|value and identifier=${FHIR_SYSTEMS.partyKey}|value`,
} as const;

/** The matches, or the SDS's 400 when the store found more records, or more interactions, than an answer carries. */
export function withinBound<T extends { interactions: readonly string[] }>(resource: keyof typeof NARROWER, matches: T[]): T[] {
  const tooMany = (problem: string) => new SpineError(SDS_ERRORS.TOO_MANY_MATCHES, SDS_DIAGNOSTICS.badRequest(problem));
  if (matches.length > SDS_MAX_MATCHES) throw tooMany(SDS_DIAGNOSTICS.tooManyMatches(SDS_MAX_MATCHES, NARROWER[resource]));
  const listed = matches.reduce((sum, match) => sum + match.interactions.length, 0);
  if (listed > SDS_MAX_INTERACTIONS) throw tooMany(SDS_DIAGNOSTICS.tooManyInteractions(SDS_MAX_INTERACTIONS, NARROWER[resource]));
  return matches;
}
