import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The languages PDS accepts for a patient's communication (PDS spec, Language.yaml: "Always uses
 * the 'UKCore-HumanLanguage' Code System"; patient-patch.yaml: "any language codes outside the
 * accepted list are rejected"): ISO 639-1 plus q1-q5 (braille, the sign languages, Makaton). The
 * UK Core CodeSystem's codes and displays are kept as facts in spec/nhs/pds/terminology (see
 * spec/nhs/SOURCES.md): the file itself carries a copyright and no licence, so it is not copied.
 */
const CODE_SYSTEM = fileURLToPath(new URL('../../../../spec/nhs/pds/terminology/human-languages.json', import.meta.url));

/** `code` → display of every concept of the list's `codes`. */
export function readHumanLanguages(json: string): Map<string, string> {
  const { codes } = JSON.parse(json) as { codes: Record<string, string> };
  return new Map(Object.entries(codes));
}

export const HUMAN_LANGUAGES: ReadonlyMap<string, string> = readHumanLanguages(readFileSync(CODE_SYSTEM, 'utf8'));

/** The CodeSystem says `caseSensitive`: `FR` is not French. */
export const isHumanLanguageCode = (code: string) => HUMAN_LANGUAGES.has(code);
