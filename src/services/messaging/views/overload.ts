import type { OverloadAnswer } from '../../../platform/http/shed-answers.js';
import { PLATFORM_ERRORS } from '../../../platform/http/errors.js';
import { MESH_ERRORS, type MeshErrorSpec } from '../errors.js';
import { MEDIA_TYPE, apiVersionFromAccept, type ApiVersion } from '../protocol/api-version.js';
import { errorBody } from './errors.js';

/** As the MESH error handler renders a 503: the code follows the status (mesh-plugin.ts, asMeshSpec). */
const OVERLOADED: MeshErrorSpec = { ...MESH_ERRORS.INTERNAL_ERROR, status: 503, code: '503', display: PLATFORM_ERRORS.SERVICE_UNAVAILABLE.display };

const answer = (version: ApiVersion): OverloadAnswer => ({
  prefix: '/messageexchange',
  contentType: MEDIA_TYPE[version],
  // A shed request was never logged, so there is no internal id to quote.
  body: JSON.stringify(errorBody(version, { spec: OVERLOADED, internalId: 'overloaded', diagnostics: 'The service is overloaded; retry after 1 s' })),
  fits: (headers) => (apiVersionFromAccept(headers.accept) ?? 1) === version,
});

/** MESH's shed answers, v2 or v1 by `Accept` as its other errors. */
export const MESH_OVERLOAD_ANSWERS: OverloadAnswer[] = [answer(2), answer(1)];
