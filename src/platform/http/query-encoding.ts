/** A query parameter whose name or value is not valid percent-encoded UTF-8, or holds a NUL, as sent. */
export interface UndecodableParameter {
  /** The parameter's name, decoded; as sent when the name itself does not decode. */
  name: string;
  /** The parameter's value as sent (still percent-encoded). */
  value: string;
  /** Whether it is the name that does not decode (no API has such a parameter). */
  inName: boolean;
}

// decodeURIComponent refuses exactly what is not percent-encoded UTF-8 (RFC 3629): a `%` without
// two hex digits, a byte no UTF-8 sequence starts with (%FF), a sequence cut short (%E2%82), an
// overlong one (%C0%AF) and an encoded surrogate (%ED%A0%80). Fastify's parser keeps such text
// as it came (`%FF`), so it was searched for as a literal value. An encoded NUL (%00) decodes, but
// to text no field accepts and PostgreSQL text cannot hold: it is refused with them.
function decodes(text: string): boolean {
  if (text.includes('%00')) return false;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first parameter of `query` (what follows `?`, split as Fastify's parser splits it: on `&`,
 * then on the first `=`) whose name or value does not decode, or holds a NUL, or undefined when all
 * are sound.
 * A `+` is a space (form encoding) and `%2B` a plus, whichever way: neither changes what decodes.
 */
export function firstUndecodableParameter(query: string): UndecodableParameter | undefined {
  for (const pair of query.split('&')) {
    if (!pair.includes('%')) continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    if (!decodes(name)) return { name, value, inName: true };
    if (!decodes(value)) return { name: decodeURIComponent(name.replace(/\+/g, ' ')), value, inName: false };
  }
  return undefined;
}
