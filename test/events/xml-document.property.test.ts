import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readXmlDocument } from '../../src/services/events/domain/fhir-xml.js';

// A NEMS message's XML body (XML 1.0): one root element, only comments, processing instructions
// and white space around it, an XML declaration only at the start, no DTD, and no entity but the
// five XML predefines; character references name XML characters.

const name = fc.stringMatching(/^[a-z][A-Za-z]{0,8}$/);
/** Attribute text, written escaped as XML allows (entities or character references). */
const text = fc.string({ unit: fc.constantFrom(...'abcXYZ09 .-', '&', '<', '>', '"', "'", 'é', '€'), minLength: 1, maxLength: 16 })
  .filter((s) => s.trim() === s);
const escape = (s: string, numeric: readonly boolean[]) => [...s].map((c, i) => {
  const named: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  if (numeric[i % numeric.length]) return i % 2 ? `&#${c.codePointAt(0)};` : `&#x${c.codePointAt(0)!.toString(16)};`;
  return named[c] ?? c;
}).join('');
const element = fc.record({ root: name, child: name, value: text, numeric: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), depth: fc.nat({ max: 3 }) });
const around = fc.array(fc.constantFrom(' ', '\n', '<!-- a comment & more -->', '<?pi data?>', '\t'), { maxLength: 3 }).map((parts) => parts.join(''));
const declaration = fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>', '\uFEFF<?xml version="1.0"?>\n');

/** A well-formed document: the root, then `child value="…"` nested `depth` deep. */
function documentOf(e: { root: string; child: string; value: string; numeric: boolean[]; depth: number }, decl: string, before: string, after: string): string {
  const open = Array.from({ length: e.depth }, () => '<wrap>').join('');
  const close = Array.from({ length: e.depth }, () => '</wrap>').join('');
  return `${decl}${before}<${e.root} xmlns="http://hl7.org/fhir">${open}<${e.child} value="${escape(e.value, e.numeric)}"/>${close}</${e.root}>${after}`;
}

const isProblem = (read: ReturnType<typeof readXmlDocument>): read is { problem: string } => 'problem' in read;

describe('reading a NEMS XML document (properties)', () => {
  it('any text reads as a document or as a problem in words, never a throw', () => {
    const markupish = fc.string({ unit: fc.constantFrom('<', '>', '/', 'a', 'b', '&', ';', '#', 'x', '1', '!', '-', '?', '[', ']', '"', '=', ' ', 'amp', 'DOCTYPE', 'CDATA'), maxLength: 40 });
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), markupish), (value) => {
      const read = readXmlDocument(value);
      if (isProblem(read)) assert.ok(typeof read.problem === 'string' && read.problem.length > 0);
      else assert.equal(typeof read.rootName, 'string');
    }), { numRuns: 1000 });
  });

  it('a well-formed document is read: its root\'s name, and every value as written before escaping, at any depth', () => {
    fc.assert(fc.property(element, declaration, around, around, (e, decl, before, after) => {
      const read = readXmlDocument(documentOf(e, decl, before, after));
      assert.ok(!isProblem(read), `${documentOf(e, decl, before, after)}: ${isProblem(read) ? read.problem : ''}`);
      assert.equal(read.rootName, e.root);
      let node = read.root;
      for (let i = 0; i < e.depth; i++) node = node.children.get('wrap')![0]!;
      assert.equal(node.children.get(e.child)?.[0]?.value, e.value);
    }), { numRuns: 500 });
  });

  it('a DOCTYPE anywhere, in any case, is refused before anything is read', () => {
    fc.assert(fc.property(element, fc.constantFrom('<!DOCTYPE x>', '<!doctype x [<!ENTITY e "boom">]>', '<!DocType root SYSTEM "file:///etc/passwd">'), fc.boolean(), (e, doctype, first) => {
      const doc = documentOf(e, '', '', '');
      const read = readXmlDocument(first ? `${doctype}${doc}` : doc.replace('/>', `/>${doctype}`));
      assert.ok(isProblem(read) && /DOCTYPE/.test(read.problem), JSON.stringify(read));
    }), { numRuns: 200 });
  });

  it('two roots, text outside the root, a late XML declaration, an undefined entity or a reference to no XML character are each refused', () => {
    const defect = fc.constantFrom('second root', 'text after', 'text before', 'late declaration', 'entity', 'bad reference', 'html entity');
    fc.assert(fc.property(element, defect, fc.constantFrom('&#0;', '&#x1;', '&#xFFFE;', '&#xD800;', '&#1114112;'), (e, what, badRef) => {
      const doc = documentOf(e, '', '', '');
      const changed = {
        'second root': `${doc}<${e.root}/>`,
        'text after': `${doc}oops`,
        'text before': `oops${doc}`,
        'late declaration': `<!-- c -->\n<?xml version="1.0"?>${doc}`,
        entity: doc.replace('value="', 'value="&undefined;'),
        'bad reference': doc.replace('value="', `value="${badRef}`),
        'html entity': doc.replace('value="', 'value="&nbsp;'),
      }[what]!;
      assert.ok(isProblem(readXmlDocument(changed)), `${what}: ${changed}`);
    }), { numRuns: 300 });
  });

  it('a document cut short anywhere is refused', () => {
    fc.assert(fc.property(element, fc.nat(), (e, at) => {
      const doc = documentOf(e, '', '', '');
      const cut = doc.slice(0, at % doc.length);
      assert.ok(isProblem(readXmlDocument(cut)), cut);
    }), { numRuns: 300 });
  });
});
