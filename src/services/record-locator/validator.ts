import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * The service's own ajv for the spec's schemas, set as the plugin's validator compiler. It differs
 * from Fastify's default in three ways the NRL schemas need: no type coercion (a number where the
 * spec says string is an error, as in NRLF, not a silent conversion), regexes without the `u` flag
 * (the spec's patterns are written for plain regexes), and the OpenAPI `int32` format.
 */
const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, unicodeRegExp: false });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });

export const nrlValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  // Fastify reads an ajv-style function's `errors` into the error's `validation`.
  return ajv.compile(schema as object);
};
