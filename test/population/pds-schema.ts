import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

// ajv and ajv-formats are CommonJS; under ESM their default export sits one level down.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: InstanceType<typeof Ajv>) => void;

/** Validators for the PDS OpenAPI schemas (`spec/nhs/pds`), with the OpenAPI-only keywords tolerated. */
export function pdsSchemaValidators(): { patient: ValidateFunction; relatedPersonBundle: ValidateFunction } {
  const spec = JSON.parse(readFileSync(new URL('../../spec/nhs/pds/personal-demographics.bundled.json', import.meta.url), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  // The spec uses two non-standard formats; their values are plain strings.
  ajv.addFormat('url', true);
  ajv.addFormat('datetime', true);
  ajv.addSchema({ components: spec.components, paths: spec.paths }, 'pds');
  return {
    patient: ajv.compile({ $ref: 'pds#/components/schemas/Patient' }),
    relatedPersonBundle: ajv.compile({ $ref: 'pds#/components/schemas/RelatedPersonBundle' }),
  };
}
