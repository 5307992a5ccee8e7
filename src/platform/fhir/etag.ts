/** FHIR version ids travel as weak ETags: `W/"3"` (PDS spec, If-Match regex ^W\/"[0-9]+"$). */
export const etagFor = (versionId: number | string) => `W/"${versionId}"`;

/** The version in an If-Match header, or undefined when it is not a weak numeric ETag. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^W\/"([0-9]{1,9})"$/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}
