import { Type } from '@sinclair/typebox';
import { DEFAULT_COUNT, MAX_COUNT } from './search-params.js';
import { DATE_PREFIXES } from './date-param.js';

/**
 * The audit API's route schemas (TypeBox: an OpenSpine API, no NHS spec): what the door checks and
 * the OpenAPI document publishes. Parameter values, and which combinations a search needs, are the
 * search parser's (`search-params.ts`), which refuses unknown parameters rather than ignore them.
 */
const text = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));

export const auditEventSearchQuerystring = Type.Object({
  patient: text('NHS number of the patient whose record was accessed: `9000000009`, `Patient/9000000009` or `https://fhir.nhs.uk/Id/nhs-number|9000000009`'),
  agent: text('The user (SDS user id) or application whose accesses to list, plain or in token/reference form'),
  date: text(`When the access was recorded: [${DATE_PREFIXES.join('|')}]YYYY-MM-DD[Thh:mm[:ss][Z|±hh:mm]], repeated for a range`),
  _count: text(`Entries per page, 1 to ${MAX_COUNT} (default ${DEFAULT_COUNT})`),
  _before: text('Paging cursor, from a `next` link'),
}, { additionalProperties: true });

export const auditEventParams = Type.Object({
  id: Type.String({ description: 'The audit record\'s sequence number (a record the caller may not see is not found)' }),
});
