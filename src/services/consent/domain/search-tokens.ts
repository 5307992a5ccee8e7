import { SNOMED_SYSTEMS } from './consent-profile.js';

/**
 * The Consent search's token parameters, `purpose` and `category` (build_consent_restful.md: "a
 * purpose code MAY be used" to limit the search), as FHIR STU3 reads a token (search.html#token):
 * `code`, `system|code`, `|code` (a coding without a system) or `system|` (any code of the
 * system); values separated by a comma are alternatives. The two SNOMED CT system URLs the NDOP
 * examples write are one system, as the profile check takes either.
 */
export interface Token {
  /** Absent: any system; `''`: a coding without one. */
  system?: string;
  /** Absent: any code. */
  code?: string;
}

/** The alternatives a parameter's value names, or undefined when one of them is no token (empty, `|`, two bars). */
export function parseTokens(value: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (const alternative of value.split(',')) {
    const parts = alternative.split('|');
    if (parts.length > 2) return undefined;
    const [first, code] = parts as [string, string?];
    if (code === undefined) {
      if (first === '') return undefined;
      tokens.push({ code: first });
    } else {
      if (first === '' && code === '') return undefined;
      tokens.push({ system: first, ...(code === '' ? {} : { code }) });
    }
  }
  return tokens;
}

type Coding = { system?: unknown; code?: unknown };

const sameSystem = (a: string, b: string) => a === b || (SNOMED_SYSTEMS.includes(a) && SNOMED_SYSTEMS.includes(b));

export function codingMatches(coding: Coding, token: Token): boolean {
  const system = typeof coding.system === 'string' ? coding.system : undefined;
  const code = typeof coding.code === 'string' ? coding.code : undefined;
  if (token.code !== undefined && code !== token.code) return false;
  if (token.system === undefined) return true;
  if (token.system === '') return system === undefined;
  return system !== undefined && sameSystem(system, token.system);
}

const objects = (value: unknown): Array<Record<string, unknown>> =>
  (Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : []);

/** Whether a stored Consent matches every token parameter given: one of its codings matches one of the parameter's alternatives. */
export function consentMatches(resource: unknown, filters: { purpose?: Token[]; category?: Token[] }): boolean {
  const consent = (typeof resource === 'object' && resource !== null ? resource : {}) as Record<string, unknown>;
  const matchesAny = (codings: Coding[], tokens: Token[] | undefined) =>
    tokens === undefined || codings.some((coding) => tokens.some((token) => codingMatches(coding, token)));
  return matchesAny(objects(consent.purpose), filters.purpose)
    && matchesAny(objects(consent.category).flatMap((concept) => objects(concept.coding)), filters.category);
}
