/**
 * The fuzz client's values (fuzz-client.ts): strings a client should not send (injections, bad NHS
 * numbers, lone surrogates, huge ones), values of any JSON type, and path segments.
 */
import fc from 'fast-check';

export const INJECTIONS = [
  "' OR '1'='1", "'; DROP TABLE patients; --", '"; SELECT pg_sleep(10); --', '$1', '%', '_', '\\', '\\u0000',
  '<script>alert(1)</script>', '../../../../etc/passwd', '${jndi:ldap://x}', '{{7*7}}', '__proto__', 'constructor',
  'toString', 'valueOf', 'hasOwnProperty', 'toJSON',
  '%00', '%ZZ', '%ED%A0%80', '\u0000', '\uD800', '\uDFFF', '\uFFFF', '😀', 'null', 'undefined', 'NaN', '-0', '1e309',
];
export const BAD_NHS = ['0000000000', '9000000000', '1234567890', '123456789', '90000000091', 'abcdefghij', ' 9000000009', '9000000009 ', '９００００００００９', '-9000000009', '9000000009\u0000', ''];
export const string = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_NHS) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\uD800', '\uDC00', '\uFEFF', '\u202E')).map(([s, odd]) => s + odd + s) },
);
/** A value of any JSON type, including ones no field accepts. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: string },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -1, 0, 2 ** 53 + 1)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(string, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(string, string, { maxKeys: 3 }) },
  // Objects whose own keys shadow what String(), template literals and method calls (hasOwnProperty, toJSON) reach for.
  { weight: 1, arbitrary: fc.constantFrom('{"toString":""}', '{"valueOf":1,"toString":{}}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":1}}', '{"toJSON":"x"}')
    .map((text) => JSON.parse(text) as unknown) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3_000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) },
);
/** A value of another JSON type than `like`. */
export function wrongType(like: unknown, pick: number, replacement: unknown): unknown {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(replacement) !== kind(like)) return replacement;
  const others = [42, 'text', true, null, [], {}, [1, 'two'], { x: 1 }].filter((v) => kind(v) !== kind(like));
  return others[pick % others.length];
}

/** A path segment: mostly valid values so the handler runs, else odd bytes (percent-encoded). */
export const segment = (valid: string[]) => fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...valid) },
  // Up to a little over the router's 512-character limit on a parameter.
  { weight: 3, arbitrary: string.map((s) => encodeSegment(s.slice(0, 600))) },
  { weight: 1, arbitrary: fc.constantFrom('%ED%A0%80', '%00', '%C0%AF', '%FF', '%2F..%2F', '%25', '..', '.') },
);
export function encodeSegment(value: string): string {
  // encodeURIComponent refuses lone surrogates: send their (invalid) UTF-8 bytes instead.
  const wellFormed = value.replace(/[\uD800-\uDFFF]/g, (c) => `\u0001${c.charCodeAt(0).toString(16)}\u0001`);
  const encoded = encodeURIComponent(wellFormed).replace(/%01([0-9a-f]{4})%01/g, (_, hex: string) => {
    const code = parseInt(hex, 16);
    return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
  });
  return encoded || 'x';
}
