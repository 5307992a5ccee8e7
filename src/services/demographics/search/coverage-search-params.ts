import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS } from '../errors.js';
import { parameterNames, type RawQuery } from './parse-search-params.js';

/** The one parameter of a Coverage search (PDS spec `SubscriberIdentifier`). */
export const SUBSCRIBER_IDENTIFIER = 'subscriber:identifier';

const invalidSearch = () => new SpineError(PDS_ERRORS.INVALID_SEARCH_DATA,
  "Invalid search data provided - 'Coverage search request must follow the format /Coverage?subscriber:identifier=NHS_NUMBER'");

/**
 * The NHS number a `GET /Coverage` asks about, as sent (its check digit is checked next, by the
 * caller). PDS spec: `subscriber:identifier` is the only parameter, given once; anything else, or
 * nothing, is 400 INVALID_SEARCH_DATA. A pair with an empty name carries no parameter.
 */
export function parseCoverageSearch(query: RawQuery): string {
  const names = parameterNames(query);
  if (names.length !== 1 || names[0] !== SUBSCRIBER_IDENTIFIER) throw invalidSearch();
  const value = query[SUBSCRIBER_IDENTIFIER];
  if (typeof value !== 'string' || value.length === 0) throw invalidSearch();
  return value;
}
