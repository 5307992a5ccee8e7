import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The platform's door checks each body against its route schema and stops at the first failure.
 * NRLF reports every failure of a DocumentReference, so when the door refuses a body this ajv
 * (allErrors, never coercing) runs the same schema again to list them all, in NRL's words.
 */
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: InstanceType<typeof Ajv>) => void;

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, logger: false });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

export function schemaErrors(schema: object, body: unknown): ErrorObject[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(body) ? [] : [...(validate.errors ?? [])];
}
