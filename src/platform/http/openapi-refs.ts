import { pointerSegments, valueAt } from './validation-failure.js';

/**
 * A schema from an OpenAPI document with its internal `$ref`s (`#/components/…`) replaced by what
 * they point at, so the NHS specs' schemas can be route schemas: compiled by Ajv on their own and
 * published by `@fastify/swagger` without the document around them. A ref resolves to one shared
 * object wherever it is used; a cycle of refs (which the NHS specs do not have) is refused.
 */
export function schemaAt(document: object, pointer: string): Record<string, unknown> {
  const resolved = new Map<string, unknown>();
  const resolving = new Set<string>();

  function resolveRef(ref: string): unknown {
    if (!ref.startsWith('#')) throw new Error(`Only internal $refs can be resolved, not ${ref}`);
    const known = resolved.get(ref);
    if (known !== undefined) return known;
    if (resolving.has(ref)) throw new Error(`$ref cycle through ${ref}`);
    resolving.add(ref);
    const target = valueAt(document, pointerSegments(decodeURIComponent(ref.slice(1))));
    if (target === undefined) throw new Error(`$ref ${ref} points at nothing`);
    const value = resolve(target);
    resolving.delete(ref);
    resolved.set(ref, value);
    return value;
  }

  function resolve(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== 'object') return node;
    const { $ref, ...rest } = node as Record<string, unknown>;
    if (typeof $ref === 'string') return resolveRef($ref);
    return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, resolve(value)]));
  }

  return resolveRef(pointer) as Record<string, unknown>;
}

/**
 * `{ in: 'header', name, required, schema }` parameters of an OpenAPI operation → a Fastify
 * headers/querystring schema that checks them one after another, in the order given (each present,
 * then valid, before the next): the `allOf` sets the order, the rest documents them.
 */
export function parametersSchema(parameters: Array<{ name: string; required?: boolean; schema?: object }>): Record<string, unknown> {
  const required = parameters.filter((p) => p.required).map((p) => p.name);
  const properties = Object.fromEntries(parameters.map((p) => [p.name, p.schema ?? { type: 'string' }]));
  return {
    type: 'object',
    required,
    properties,
    allOf: parameters.map((p) => ({ ...(p.required ? { required: [p.name] } : {}), properties: { [p.name]: properties[p.name] } })),
  };
}
