import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

// ajv and ajv-formats are CommonJS: under ESM the constructor may sit on `.default`.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: InstanceType<typeof Ajv>) => void;

export type PdsSchema = 'Patient' | 'PatientSearch' | 'RelatedPersonBundle' | 'OperationOutcome' | 'CoverageSearch';

/** Validators for the response schemas of the PDS spec (`components.schemas` of the bundled OpenAPI file). */
export function pdsResponseValidators(): Record<PdsSchema, ValidateFunction> {
  const spec = JSON.parse(readFileSync(new URL('../../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  // Formats the spec names that JSON Schema does not define; their values are plain strings.
  ajv.addFormat('url', true);
  ajv.addFormat('datetime', true);
  ajv.addSchema({ components: spec.components, paths: spec.paths }, 'pds');
  const compile = (name: Exclude<PdsSchema, 'CoverageSearch'>) => ajv.compile({ $ref: `pds#/components/schemas/${name}` });
  return {
    Patient: compile('Patient'), PatientSearch: compile('PatientSearch'), RelatedPersonBundle: compile('RelatedPersonBundle'), OperationOutcome: compile('OperationOutcome'),
    // CoverageSearch.yaml is inlined in the /Coverage path of the bundled spec.
    CoverageSearch: ajv.compile({ $ref: 'pds#/paths/~1Coverage/get/responses/200/content/application~1fhir+json/schema' }),
  };
}
