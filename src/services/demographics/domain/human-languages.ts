import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The languages PDS accepts for a patient's communication (PDS spec, Language.yaml: "Always uses
 * the 'UKCore-HumanLanguage' Code System"; patient-patch.yaml: "any language codes outside the
 * accepted list are rejected"): ISO 639-1 plus q1-q5 (braille, the sign languages, Makaton), read
 * from the UK Core CodeSystem copied into spec/nhs/pds/terminology (see spec/nhs/SOURCES.md).
 */
const CODE_SYSTEM = fileURLToPath(new URL('../../../../spec/nhs/pds/terminology/CodeSystem-UKCore-HumanLanguage.xml', import.meta.url));

/** `code` → display of every concept; the file is FHIR XML with one `<code value>` and `<display value>` per concept. */
export function readHumanLanguages(xml: string): Map<string, string> {
  const languages = new Map<string, string>();
  for (const concept of xml.matchAll(/<concept>\s*<code value="([^"]+)" \/>\s*<display value="([^"]*)" \/>\s*<\/concept>/g)) {
    languages.set(concept[1]!, concept[2]!);
  }
  return languages;
}

export const HUMAN_LANGUAGES: ReadonlyMap<string, string> = readHumanLanguages(readFileSync(CODE_SYSTEM, 'utf8'));

/** The CodeSystem says `caseSensitive`: `FR` is not French. */
export const isHumanLanguageCode = (code: string) => HUMAN_LANGUAGES.has(code);
