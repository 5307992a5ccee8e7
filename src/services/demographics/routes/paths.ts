/** PDS FHIR API base path (spec `servers`). */
export const PDS_BASE = '/personal-demographics/FHIR/R4';

/** The absolute URL clients see for a resource (search `fullUrl`), from the configured public base. */
export function fullUrlFor(publicBaseUrl: string, path: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}${PDS_BASE}/${path}`;
}
