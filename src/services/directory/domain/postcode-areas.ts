/**
 * Areas of responsibility by postcode (NEMS's postcode rules: "the patient's home postcode … to the
 * ICB sub location / LA responsible for the area in which the postcode resides"). The directory
 * holds them as postcode prefixes at any level a deployment has: the area (`LS`), the district
 * (`LS1`), the sector (`LS1 6`) or the whole postcode (`LS1 6AE`); a postcode belongs to the
 * longest prefix that matches. A deployment with the ONS postcode directory loads its units or
 * sectors; a demo gets districts.
 */
export const AREA_KINDS = ['icb-sub-location', 'local-authority'] as const;
export type AreaKind = (typeof AREA_KINDS)[number];

// A UK postcode: outward code (area letters, district digit(s) and an optional letter) and inward
// code (sector digit and unit letters), with or without the space.
const POSTCODE = /^([A-Z]{1,2})([0-9][0-9A-Z]?)\s*([0-9])([A-Z]{2})$/;
const PREFIX = /^([A-Z]{1,2})(?:([0-9][0-9A-Z]?)(?:\s([0-9])([A-Z]{2})?)?)?$/;

/** The prefixes a postcode matches, longest first (`LS1 6AE` → `LS1 6AE`, `LS1 6`, `LS1`, `LS`); none when it is not a postcode. */
export function postcodePrefixes(postcode: string): string[] {
  const match = POSTCODE.exec(postcode.trim().toUpperCase());
  if (!match) return [];
  const [, area, district, sector, unit] = match as unknown as [string, string, string, string, string];
  return [`${area}${district} ${sector}${unit}`, `${area}${district} ${sector}`, `${area}${district}`, area];
}

/**
 * A UK postcode in its standard form, as the directory stores and shows it: upper case, the outward
 * code, one space, the inward code (`ls16ae`, `LS1  6AE` → `LS1 6AE`); undefined when it is not a postcode.
 */
export function normalisePostcode(postcode: string): string | undefined {
  const match = POSTCODE.exec(postcode.trim().toUpperCase());
  if (!match) return undefined;
  const [, area, district, sector, unit] = match as unknown as [string, string, string, string, string];
  return `${area}${district} ${sector}${unit}`;
}

/** A prefix as stored (upper case, one space before the inward part), or undefined when it is not one. */
export function normalisePrefix(prefix: string): string | undefined {
  const compact = prefix.trim().toUpperCase().replace(/\s+/g, ' ');
  // Only a whole postcode may come without its space (`LS16` is a district, not the sector `LS1 6`).
  const spaced = /^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$/.test(compact) ? compact.replace(/^(.+)([0-9][A-Z]{2})$/, '$1 $2') : compact;
  return PREFIX.test(spaced) ? spaced : undefined;
}
