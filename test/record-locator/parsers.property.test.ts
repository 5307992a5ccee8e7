import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  decodePageToken, encodePageToken, parseSearchParams, searchQuery, typeSystemAllowed, SUBJECT_PATTERN,
} from '../../src/services/record-locator/domain/search-params.js';
import { isWellFormed, organisationKey, parseGatewayHeaders, parseOdsHeader } from '../../src/services/record-locator/domain/connection-metadata.js';
import { parseOrganisation, parsePointerTypes } from '../../src/services/record-locator/domain/permissions.js';
import { documentBodyIssues, fhirPath, searchBodyIssues } from '../../src/services/record-locator/body-errors.js';
import { everySchemaError } from '../../src/platform/http/validation.js';
import {
  BASE64_BINARY, CONSUMER_SEARCH_PARAMS, declaredFields, DOCUMENT_REFERENCE_BODY, LINEAR_EQUIVALENTS, unicodeSafePattern,
} from '../../src/services/record-locator/schemas.js';
import { RECORD_TYPES } from '../../src/services/record-locator/domain/record-types.js';
import { REFUSED_URL_SCHEMES, urlScheme, validatePointer } from '../../src/services/record-locator/domain/validate-pointer.js';
import type { DocumentReference } from '../../src/services/record-locator/domain/document-reference.js';
import { isValidNhsNumber, nhsCheckDigit } from '../../src/platform/nhs-number.js';
import { validNhsNumber } from '../support/nhs-numbers.js';

/** Properties of the record locator's parameter, header and input parsers: data or one coded error, never a throw. */

const anyValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.integer(), fc.constant(null), fc.dictionary(fc.string(), fc.string()));
const ods = fc.stringMatching(/^[A-Za-z0-9]{1,20}$/);

describe('search parameters', () => {
  it('never throw: any input is a search or one issue naming a parameter', () => {
    fc.assert(fc.property(fc.constantFrom('consumer' as const, 'producer' as const), fc.dictionary(
      fc.oneof(fc.constantFrom('subject:identifier', 'custodian:identifier', 'type', 'category', 'next-page-token'), fc.string()), anyValue,
    ), fc.boolean(), (side, raw, subjectRequired) => {
      const parsed = parseSearchParams(side, raw, { subjectRequired });
      if (!parsed.ok) {
        assert.equal(parsed.issue.spec.status, 400);
        // An expression, when there is one, is FHIR text: never empty, never unbounded.
        if (parsed.issue.expression !== undefined) assert.ok(parsed.issue.expression.length > 0 && parsed.issue.expression.length <= 100);
        assert.ok(parsed.issue.diagnostics.length < 400);
      }
    }));
  });

  it('accept any valid NHS number and refuse any other 10-digit number as INVALID_NHS_NUMBER', () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{10}$/), (digits) => {
      const parsed = parseSearchParams('consumer', { 'subject:identifier': `https://fhir.nhs.uk/Id/nhs-number|${digits}` }, { subjectRequired: true });
      if (isValidNhsNumber(digits)) assert.deepEqual(parsed, { ok: true, search: { nhsNumber: digits } });
      else assert.equal(!parsed.ok && parsed.issue.spec.code, 'INVALID_NHS_NUMBER');
    }));
  });

  it('refuse every unknown parameter on the consumer side and ignore it on the producer side', () => {
    const known = ['subject:identifier', 'custodian:identifier', 'type', 'category', 'next-page-token'];
    fc.assert(fc.property(fc.string({ minLength: 1 }).filter((name) => !known.includes(name)), validNhsNumber, (name, nhsNumber) => {
      const raw = { 'subject:identifier': `https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`, [name]: 'x' };
      const consumer = parseSearchParams('consumer', raw, { subjectRequired: true });
      assert.deepEqual(!consumer.ok && [consumer.issue.spec.code, consumer.issue.expression], ['INVALID_PARAMETER', name]);
      assert.deepEqual(parseSearchParams('producer', raw, { subjectRequired: false }), { ok: true, search: { nhsNumber } });
    }));
  });

  it('round-trip through a self link: the link\'s query parses back to the same search', () => {
    fc.assert(fc.property(validNhsNumber, fc.option(fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/), { nil: undefined }),
      fc.option(fc.constantFrom(...RECORD_TYPES.keys()), { nil: undefined }), (nhsNumber, custodianOds, type) => {
        const search = { nhsNumber, ...(custodianOds ? { custodianOds } : {}), ...(type ? { type } : {}) };
        const query = searchQuery(search, 'consumer');
        assert.ok(!query.includes('%7C') && !query.includes('%3A'), query);
        const raw = Object.fromEntries(new URLSearchParams(query));
        assert.deepEqual(parseSearchParams('consumer', raw, { subjectRequired: true }), { ok: true, search });
      }));
  });

  it('page tokens round-trip any id and refuse anything that is not one', () => {
    fc.assert(fc.property(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), (id) => assert.equal(decodePageToken(encodePageToken(id)), id)));
    fc.assert(fc.property(fc.string(), (token) => {
      const id = decodePageToken(token);
      if (id !== undefined) assert.equal(encodePageToken(id), token);
    }));
  });

  it('allow a type only when its system is one of the caller\'s', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...RECORD_TYPES.keys()), { minLength: 1 }), fc.string(), (types, code) => {
      assert.equal(typeSystemAllowed(`http://snomed.info/sct|${code}`, types), types.some((t) => t.startsWith('http://snomed.info/sct|')));
      assert.equal(typeSystemAllowed(undefined, types), true);
    }));
  });
});

describe('gateway headers', () => {
  const rp = JSON.stringify({ 'developer.app.name': 'App', 'developer.app.id': 'dev-1' });
  it('accept any well-formed metadata and return exactly its caller, its ODS code and extension in upper case', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 50 }).filter(isWellFormed), ods, fc.option(ods, { nil: undefined }), (appId, odsCode, extension) => {
      const metadata = JSON.stringify({ 'nrl.app-id': appId, 'nrl.ods-code': odsCode, 'nrl.pointer-types': ['x|y'], ...(extension ? { 'nrl.ods-code-extension': extension } : {}) });
      assert.deepEqual(parseGatewayHeaders(metadata, rp), {
        appId, odsCode: odsCode.toUpperCase(), ...(extension ? { odsCodeExtension: extension.toUpperCase() } : {}), appName: 'App', developerAppId: 'dev-1',
      });
    }));
  });
  it('never throw on arbitrary header values, and refuse what is not a JSON object with the fields', () => {
    fc.assert(fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (a, b) => {
      const caller = parseGatewayHeaders(a, b);
      if (caller) {
        assert.equal(typeof JSON.parse(a!)['nrl.app-id'], 'string');
      }
    }));
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const caller = parseGatewayHeaders(JSON.stringify(value), rp);
      if (caller) assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
    }));
  });
  it('read an ODS header only when it is an ODS code, in upper case; key organisations as ODS[.extension]', () => {
    fc.assert(fc.property(fc.string(), (value) => {
      const parsed = parseOdsHeader(value);
      if (parsed !== undefined) assert.match(parsed, /^[A-Z0-9]{1,20}$/);
    }));
    fc.assert(fc.property(ods, fc.option(ods, { nil: undefined }), (code, extension) => {
      const key = organisationKey(code, extension);
      assert.deepEqual(parseOrganisation(key), { ok: true, value: key.toUpperCase() });
    }));
  });
});

describe('permission inputs', () => {
  it('accept exactly arrays of record types (deduplicated) and name the first bad item', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...RECORD_TYPES.keys()), fc.string(), fc.integer())), (items) => {
      const parsed = parsePointerTypes(items);
      const bad = items.findIndex((item) => typeof item !== 'string' || !RECORD_TYPES.has(item));
      if (items.length > RECORD_TYPES.size * 2) return;
      if (bad >= 0) assert.deepEqual(!parsed.ok && parsed.field, `[${bad}]`);
      else assert.deepEqual(parsed, { ok: true, value: [...new Set(items as string[])] });
    }));
  });
});

describe('schema helpers', () => {
  it('fhirPath writes JSON pointers as NRL\'s FHIRPath expressions', () => {
    assert.equal(fhirPath('/content/0/attachment/url'), 'content[0].attachment.url');
    assert.equal(fhirPath('/relatesTo/1', 'code'), 'relatesTo[1].code');
    fc.assert(fc.property(fc.array(fc.oneof(fc.stringMatching(/^[a-zA-Z]{1,8}$/), fc.nat({ max: 9 })), { minLength: 1, maxLength: 6 }), (segments) => {
      const path = fhirPath(segments.map((s) => `/${s}`).join(''));
      const expected = segments.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out === '' ? s : `${out}.${s}`), '');
      assert.equal(path, expected);
    }));
  });
  it('unicodeSafePattern keeps what a pattern matches and makes it compile under the u flag', () => {
    const pattern = unicodeSafePattern(SUBJECT_PATTERN);
    assert.doesNotThrow(() => new RegExp(pattern, 'u'));
    fc.assert(fc.property(fc.string(), (text) => assert.equal(new RegExp(pattern, 'u').test(text), new RegExp(SUBJECT_PATTERN).test(text))));
  });

  it('each pattern compiled in place of the spec\'s (base64Binary) matches, found anywhere, exactly what the spec\'s matches', () => {
    assert.ok(LINEAR_EQUIVALENTS.has(BASE64_BINARY));
    // Short values (the spec's pattern is slow only on long ones), built from whitespace, its characters and others.
    const text = fc.array(fc.constantFrom(' ', '\t', '\n', 'A', 'z', '0', '+', '/', '=', '-', '!', '_', '.', 'é'), { maxLength: 24 }).map((chars) => chars.join(''));
    for (const [spec, compiled] of LINEAR_EQUIVALENTS) {
      const original = new RegExp(unicodeSafePattern(spec), 'u');
      const linear = new RegExp(compiled, 'u');
      fc.assert(fc.property(fc.oneof(text, fc.string({ maxLength: 24 })), (value) => assert.equal(linear.test(value), original.test(value), JSON.stringify(value))), { numRuns: 5000 });
    }
  });
});

describe('attachment url schemes', () => {
  const TEST_DATA = fileURLToPath(new URL('../../spec/nhs/nrl/test_data/DocumentReference/', import.meta.url));
  const testPointers = readdirSync(TEST_DATA).map((file) => JSON.parse(readFileSync(TEST_DATA + file, 'utf8')) as DocumentReference);
  const withUrl = (url: string): DocumentReference => {
    const pointer = structuredClone(testPointers[0]!);
    pointer.content![0]!.attachment!.url = url;
    return pointer;
  };
  const urlIssues = (pointer: DocumentReference) => validatePointer(pointer).filter((issue) => /attachment\.url$/.test(issue.expression ?? ''));

  it('every url of the spec\'s test pointers (https, ssp) is accepted', () => {
    assert.equal(testPointers.length, 6);
    for (const pointer of testPointers) assert.deepEqual(validatePointer(pointer), [], JSON.stringify(pointer.content));
  });

  it('javascript:, vbscript: and data: are refused however a browser would still read them (case, leading controls and spaces, tabs and newlines inside)', () => {
    const control = fc.integer({ min: 0, max: 0x20 }).map((c) => String.fromCharCode(c));
    const spelled = fc.constantFrom(...REFUSED_URL_SCHEMES).chain((scheme) => fc.tuple(
      fc.constant(scheme),
      fc.array(control, { maxLength: 3 }).map((cs) => cs.join('')),
      fc.array(fc.boolean(), { minLength: scheme.length, maxLength: scheme.length }),
      fc.nat({ max: scheme.length }),
      fc.constantFrom('', '\t', '\n', '\r'),
      fc.string({ maxLength: 20 }),
    ));
    fc.assert(fc.property(spelled, ([scheme, leading, upper, at, inside, rest]) => {
      const cased = [...scheme].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
      const url = `${leading}${cased.slice(0, at)}${inside}${cased.slice(at)}:${rest}`;
      assert.equal(urlScheme(url), scheme, JSON.stringify(url));
      const issues = urlIssues(withUrl(url));
      assert.equal(issues.length, 1, JSON.stringify(url));
      assert.equal(issues[0]!.spec.code, 'INVALID_RESOURCE');
      assert.equal(issues[0]!.spec.status, 400);
      assert.equal(issues[0]!.expression, 'content[0].attachment.url');
    }));
  });

  it('any other url is left to the schema: never refused for its scheme, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.webUrl(), fc.string(), fc.constantFrom('tel:01632960587', 'ssp://x/y', 'mailto:a@b.c', 'urn:oid:1.2', 'javascript', 'javascript%3Aalert(1)')), (url) => {
      const scheme = urlScheme(url);
      fc.pre(url !== '' && (scheme === undefined || !REFUSED_URL_SCHEMES.includes(scheme)));
      assert.deepEqual(urlIssues(withUrl(url)), []);
    }));
  });

  it('a content item with no url, or an empty one, is the one issue INVALID_RESOURCE (required) naming it, whichever item it is', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), (before, after, absent) => {
      const pointer = structuredClone(testPointers[0]!);
      const item = pointer.content![0]!;
      const without = structuredClone(item);
      if (absent) delete without.attachment!.url;
      else without.attachment!.url = '';
      pointer.content = [...Array.from({ length: before }, () => structuredClone(item)), without, ...Array.from({ length: after }, () => structuredClone(item))];
      const issues = urlIssues(pointer);
      assert.equal(issues.length, 1);
      assert.deepEqual([issues[0]!.spec.code, issues[0]!.spec.issueCode, issues[0]!.diagnostics, issues[0]!.expression],
        ['INVALID_RESOURCE', 'required', `The required field 'content[${before}].attachment.url' is missing`, `content[${before}].attachment.url`]);
    }));
  });
});

describe('the order of a refusal\'s issues', () => {
  /** Where NRLF lists a field: declared ones in the schema's order, the others after, in the order sent. */
  const rankOf = (declared: readonly string[], sent: readonly string[]) => (name: string) =>
    (declared.includes(name) ? declared.indexOf(name) : declared.length + sent.indexOf(name));
  const paramValue = fc.oneof(fc.string(), fc.constant('https://fhir.nhs.uk/Id/nhs-number|9434765919'), fc.integer());

  it('search parameters: every fault listed, declared parameters in the schema\'s order, unknown ones in the order sent', () => {
    const declared = declaredFields(CONSUMER_SEARCH_PARAMS);
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...declared), fc.string({ minLength: 1, maxLength: 5 })), paramValue), (raw) => {
      const sent = Object.keys(raw);
      const errors = everySchemaError(CONSUMER_SEARCH_PARAMS, raw);
      const issues = searchBodyIssues(errors, 'body', { declared, sent });
      const ranks = issues.map((issue) => rankOf(declared, sent)(issue.expression!));
      assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), JSON.stringify(issues));
      // Reordering the sent names moves only the unknown ones among themselves.
      const reversed = Object.fromEntries(Object.entries(raw).reverse());
      const again = searchBodyIssues(everySchemaError(CONSUMER_SEARCH_PARAMS, reversed), 'body', { declared, sent: Object.keys(reversed) });
      assert.deepEqual(new Set(again.map((issue) => issue.diagnostics)), new Set(issues.map((issue) => issue.diagnostics)));
      const known = (list: typeof issues) => list.filter((issue) => declared.includes(issue.expression!)).map((issue) => issue.diagnostics);
      assert.deepEqual(known(again), known(issues));
    }));
  });

  it('a DocumentReference: failures of declared fields in the schema\'s order, then its extra fields', () => {
    const declared = declaredFields(DOCUMENT_REFERENCE_BODY);
    assert.equal(declared[0], 'resourceType');
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...declared), fc.string({ minLength: 1, maxLength: 5 })), fc.oneof(fc.string(), fc.integer(), fc.constant([]))), (body) => {
      const sent = Object.keys(body);
      const issues = documentBodyIssues(everySchemaError(DOCUMENT_REFERENCE_BODY, body), { declared, sent });
      const extra = issues.map((issue) => issue.diagnostics === 'The resource contains extra fields');
      assert.deepEqual(extra, [...extra].sort((a, b) => Number(a) - Number(b)), 'extra fields come last');
      const ranks = issues.filter((_, i) => !extra[i]).map((issue) => rankOf(declared, sent)(issue.expression!));
      assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), JSON.stringify(issues));
    }));
  });
});
