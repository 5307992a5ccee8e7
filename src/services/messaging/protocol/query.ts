/** Query parameters of the inbox and rich listings, validated as the spec's schemas say. */

/** A whole number in [min, max]; the default when absent; undefined when invalid. */
export function parseBoundedInteger(raw: string | undefined, min: number, max: number, fallback: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,7}$/.test(raw.trim())) return undefined;
  const value = Number(raw.trim());
  return value >= min && value <= max ? value : undefined;
}

/** An ISO 8601 date or date-time (`start_time`); undefined when invalid. */
export function parseStartTime(raw: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim())) return undefined;
  const at = new Date(raw.trim());
  return Number.isNaN(at.getTime()) ? undefined : at;
}
