/**
 * MESH picks a response shape by `Accept` (spec, "API Versioning"): `application/vnd.mesh.v2+json`
 * gives v2; no Accept, `application/json` or `application/vnd.mesh.v1+json` give v1. A
 * `vnd.mesh` media type MESH does not know is a client error.
 *
 * Each media range's weight counts (RFC 9110 12.4.2, 12.5.1): `q=0` means "not acceptable", so a
 * refused type is never chosen, and a refused type MESH does not know is no error. Among the types
 * that choose a version, the heaviest wins; on a tie a `vnd.mesh` type beats `application/json`
 * (the client named a MESH version) and the first listed `vnd.mesh` type wins, as MESH clients
 * list the one they want first. When v2 is refused or absent, v1: the spec's default ("the lowest
 * supported response version"); MESH has no 406.
 */
export type ApiVersion = 1 | 2;

const MESH_MEDIA_TYPE = /^application\/vnd\.mesh\.v(\d+)\+json$/i;
const SUPPORTED: readonly number[] = [1, 2];
/** RFC 9110 12.4.2 qvalue: 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** A media range's weight: 1 when it has no `q`, undefined when its `q` is not a qvalue. */
function weightOf(params: readonly string[]): number | undefined {
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = param.slice(eq + 1).trim();
    return QVALUE.test(value) ? Number(value) : undefined;
  }
  return 1;
}

/** The version, or undefined when the Accept header asks for a MESH media type we do not serve. */
export function apiVersionFromAccept(accept: string | undefined): ApiVersion | undefined {
  if (!accept) return 1;
  let best: { version: ApiVersion; weight: number; mesh: boolean } | undefined;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';');
    const mediaType = type.trim();
    const mesh = /vnd\.mesh/i.test(mediaType);
    if (!mesh && mediaType.toLowerCase() !== 'application/json') continue;
    const weight = weightOf(params);
    if (weight === undefined) {
      if (mesh) return undefined;
      continue;
    }
    if (weight === 0) continue;
    const match = mesh ? MESH_MEDIA_TYPE.exec(mediaType) : null;
    if (mesh && (!match || !SUPPORTED.includes(Number(match[1])))) return undefined;
    const version = (match ? Number(match[1]) : 1) as ApiVersion;
    if (!best || weight > best.weight || (weight === best.weight && mesh && !best.mesh)) best = { version, weight, mesh };
  }
  return best?.version ?? 1;
}

export const MEDIA_TYPE: Record<ApiVersion, string> = {
  1: 'application/json',
  2: 'application/vnd.mesh.v2+json',
};
