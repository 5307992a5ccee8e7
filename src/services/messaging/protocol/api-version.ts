/**
 * MESH picks a response shape by `Accept` (spec, "API Versioning"): `application/vnd.mesh.v2+json`
 * gives v2; no Accept, `application/json` or `application/vnd.mesh.v1+json` give v1. A
 * `vnd.mesh` media type MESH does not know is a client error.
 */
export type ApiVersion = 1 | 2;

const MESH_MEDIA_TYPE = /^application\/vnd\.mesh\.v(\d+)\+json$/i;
const SUPPORTED: readonly number[] = [1, 2];

/** The version, or undefined when the Accept header names a MESH media type we do not serve. */
export function apiVersionFromAccept(accept: string | undefined): ApiVersion | undefined {
  if (!accept) return 1;
  for (const range of accept.split(',')) {
    const mediaType = range.split(';')[0]!.trim();
    if (!/vnd\.mesh/i.test(mediaType)) continue;
    const match = MESH_MEDIA_TYPE.exec(mediaType);
    if (!match) return undefined;
    const version = Number(match[1]);
    return SUPPORTED.includes(version) ? (version as ApiVersion) : undefined;
  }
  return 1;
}

export const MEDIA_TYPE: Record<ApiVersion, string> = {
  1: 'application/json',
  2: 'application/vnd.mesh.v2+json',
};
