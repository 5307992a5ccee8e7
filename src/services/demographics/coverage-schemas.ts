import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parametersSchema, schemaAt } from '../../platform/http/openapi-refs.js';
import { patientSearchQuerystring } from './schemas.js';
import { SUBSCRIBER_IDENTIFIER } from './search/coverage-search-params.js';

/**
 * Route schemas of `/Coverage`, from the PDS spec (`coverage-get.yaml`, `coverage-post.yaml`,
 * `Coverage.yaml`, `CoverageSearch.yaml` in the bundled spec): what the door checks and what the
 * OpenAPI document publishes.
 */
const SPEC_FILE = fileURLToPath(new URL('../../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url));
const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as object;

const parameter = (name: string) => schemaAt(spec, `#/components/parameters/${name}`) as { name: string; required?: boolean; schema?: object };

/** `Coverage.yaml`: the body of POST /Coverage. */
export const coverageSchema = schemaAt(spec, '#/paths/~1Coverage/post/requestBody/content/application~1json-patch+json/schema');

/** PDS accepts the Coverage as `application/json` (its sandbox scenarios) or `application/json-patch+json` (its spec). */
const COVERAGE_MEDIA_TYPES = ['application/json', 'application/json-patch+json'];
const contentType = { name: 'Content-Type', required: true, schema: { type: 'string', pattern: '^application/json(-patch\\+json)?(;.*)?$' } };

/** PDS POST /Coverage checks If-Match (412) first, then X-Request-ID, then the body. */
export const updateCoverageSchema = {
  headers: parametersSchema([parameter('IfMatch'), parameter('RequestID'), contentType]),
  body: { content: Object.fromEntries(COVERAGE_MEDIA_TYPES.map((type) => [type, { schema: coverageSchema }])) },
};

/**
 * GET /Coverage: X-Request-ID at the door. The query is documented here but checked by the handler
 * (search/coverage-search-params.ts), after X-Request-ID and in PDS's words (INVALID_SEARCH_DATA).
 */
export const searchCoverageSchema = { headers: parametersSchema([parameter('RequestID')]), querystring: patientSearchQuerystring([SUBSCRIBER_IDENTIFIER]) };
