import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Response schemas from the project's own copy of the MESH spec (never /work/shared at test time). */
const SPEC_PATH = fileURLToPath(new URL('../../../spec/nhs/mesh/specification/mesh-api.yaml', import.meta.url));
const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);

/** Asserts `body` matches the spec's schema for this path, method, status and media type. */
export function assertMatchesSpec(path: string, method: string, status: number, mediaType: string, body: unknown): void {
  const operation = spec.paths[path]?.[method];
  if (!operation) throw new Error(`spec has no ${method} ${path}`);
  const schema = operation.responses[String(status)]?.content?.[mediaType]?.schema;
  if (!schema) throw new Error(`spec has no ${mediaType} schema for ${method} ${path} ${status}`);
  const validate = ajv.compile(schema);
  if (!validate(body)) throw new Error(`${method} ${path} ${status} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}
