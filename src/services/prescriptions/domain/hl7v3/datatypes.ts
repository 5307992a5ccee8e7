/**
 * HL7 V3 data types as EPS writes them from FHIR. Timestamps (TS) are `YYYYMMDDHHMMSS` in UTC: the
 * examples' author times are their signatures' `when` (`2021-05-07T14:47:30+00:00` gives
 * `20210507144730`, though London was then on BST). Dates are `YYYYMMDD`.
 */
export function hl7Timestamp(instant: string | Date): string {
  const iso = (typeof instant === 'string' ? new Date(instant) : instant).toISOString();
  return iso.slice(0, 19).replace(/[-:T]/g, '');
}

/** A FHIR date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) as an HL7 date of the same precision. */
export const hl7Date = (date: string) => date.replace(/-/g, '');
