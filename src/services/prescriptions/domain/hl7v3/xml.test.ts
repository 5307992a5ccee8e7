import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { canonicalAttribute, canonicalText, canonicalXml, el, type XmlElement, type XmlNode } from './xml.js';

// XML 1.0 characters (§2.2): TAB, LF, CR, and from U+0020 on, but the surrogates, U+FFFE and U+FFFF.
const xmlChar = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\t', '\n', '\r', ' ', 'é', '€', '😀', '\u00A0') },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
).filter((c) => /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]$/u.test(c));
const xmlString = (minLength = 0) => fc.array(xmlChar, { minLength, maxLength: 30 }).map((cs) => cs.join(''));
const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,8}$/).filter((n) => !/^xml/i.test(n));

const element: fc.Arbitrary<XmlElement> = fc.letrec<{ node: XmlNode; element: XmlElement }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, xmlString(1), tie('element')),
  element: fc.record({
    name,
    attributes: fc.dictionary(name, xmlString(), { maxKeys: 4 }),
    children: fc.array(tie('node'), { maxLength: 4 }),
  }),
})).element;

/** An independent reader: fast-xml-parser, entities and character references decoded. */
const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false, htmlEntities: true,
});
type Raw = Record<string, unknown>;
function read(raw: Raw): XmlNode {
  const key = Object.keys(raw).find((k) => k !== ':@')!;
  if (key === '#text') return String(raw['#text']);
  const attributes = Object.fromEntries(Object.entries((raw[':@'] ?? {}) as Raw).map(([k, v]) => [k, String(v)]));
  return { name: key, attributes, children: (raw[key] as Raw[]).map(read) };
}
/** The tree as XML sees it: adjacent texts are one text, and an empty text is none. */
function normalised(node: XmlNode): XmlNode {
  if (typeof node === 'string') return node;
  const children: XmlNode[] = [];
  for (const child of node.children.map(normalised)) {
    const last = children[children.length - 1];
    if (typeof child === 'string' && typeof last === 'string') children[children.length - 1] = last + child;
    else if (child !== '') children.push(child);
  }
  return { name: node.name, attributes: { ...node.attributes }, children };
}

describe('exclusive XML canonicalization of our elements', () => {
  it('escapes as C14N does: text &, <, >, CR; attributes &, <, ", TAB, LF, CR; nothing else', () => {
    assert.equal(canonicalText('a&b<c>d\re\t"f\'g\nh'), 'a&amp;b&lt;c&gt;d&#xD;e\t"f\'g\nh');
    assert.equal(canonicalAttribute('a&b<c>d\re\t"f\'g\nh'), 'a&amp;b&lt;c>d&#xD;e&#x9;&quot;f\'g&#xA;h');
    assert.equal(canonicalText('Café 😀 £5'), 'Café 😀 £5');
  });

  it('writes empty elements as start and end tags, attributes by name, the namespace first and once', () => {
    const xml = canonicalXml(el('time', { value: '20241209115004', b: '2', a: '1' }, el('inner', {}), 'x'), 'urn:hl7-org:v3');
    assert.equal(xml, '<time xmlns="urn:hl7-org:v3" a="1" b="2" value="20241209115004"><inner></inner>x</time>');
  });

  it('any element reads back as itself: every value escaped, nothing lost', () => {
    fc.assert(fc.property(element, (tree) => {
      const parsed = (parser.parse(canonicalXml(tree)) as Raw[]).map(read);
      assert.deepEqual(parsed.map(normalised), [normalised(tree)]);
    }), { numRuns: 300 });
  });

  it('escaped text and attribute values carry no markup and no whitespace a parser would normalise', () => {
    fc.assert(fc.property(xmlString(), (s) => {
      const text = canonicalText(s);
      assert.doesNotMatch(text, /[<>\r]/);
      assert.doesNotMatch(text, /&(?!(amp|lt|gt|#xD);)/);
      const attribute = canonicalAttribute(s);
      assert.doesNotMatch(attribute, /[<"\t\n\r]/);
      assert.doesNotMatch(attribute, /&(?!(amp|lt|quot|#x9|#xA|#xD);)/);
    }));
  });

  it('attributes come out in code point order whatever order they were given in', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(name, xmlString()), { selector: ([k]) => k, maxLength: 6 }), (pairs) => {
      const xml = canonicalXml(el('e', Object.fromEntries(pairs)));
      const names = [...xml.matchAll(/ ([a-zA-Z0-9]+)="/g)].map((m) => m[1]!);
      assert.deepEqual(names, pairs.map(([k]) => k).sort());
      assert.equal(xml, canonicalXml(el('e', Object.fromEntries([...pairs].reverse()))));
    }));
  });
});
