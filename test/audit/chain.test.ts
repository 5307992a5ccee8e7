import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  appendToChain, canonicalRecord, ChainVerifier, GENESIS_HASH, toAuditRecord, type ChainedRecord,
} from '../../src/platform/audit/chain.js';
import type { AuditEntry } from '../../src/platform/audit/entry.js';

const optionalText = fc.option(fc.string({ maxLength: 12 }), { nil: undefined });

const entryArbitrary: fc.Arbitrary<AuditEntry> = fc.record({
  requestId: fc.string({ maxLength: 16 }),
  action: fc.string({ minLength: 1, maxLength: 16 }),
  resource: optionalText,
  nhsNumbers: fc.array(fc.stringMatching(/^[0-9]{10}$/), { maxLength: 3 }),
  outcome: fc.constantFrom('success' as const, 'failure' as const, 'denied' as const),
  appId: optionalText,
  appName: optionalText,
  userId: optionalText,
  roleProfileId: optionalText,
  roleCode: optionalText,
  odsCode: optionalText,
  clientAddress: optionalText,
  detail: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })), { nil: undefined }),
});

const timeArbitrary = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

const chainArbitrary = fc.array(fc.tuple(entryArbitrary, timeArbitrary), { minLength: 1, maxLength: 12 })
  .map((pairs) => appendToChain({ seq: 0, hash: GENESIS_HASH }, pairs.map(([entry, at]) => toAuditRecord(entry, at))));

function firstBreak(records: ChainedRecord[], head: { seq: number; hash: string }) {
  const verifier = new ChainVerifier();
  for (const record of records) {
    const broken = verifier.check(record);
    if (broken) return broken;
  }
  return verifier.finish(head);
}

const FIELDS = [
  'seq', 'recordedAt', 'requestId', 'action', 'resource', 'nhsNumbers', 'outcome', 'appId', 'appName', 'userId',
  'roleProfileId', 'roleCode', 'odsCode', 'clientAddress', 'detail', 'prevHash', 'hash',
] as const satisfies ReadonlyArray<keyof ChainedRecord>;

/** A value for `field` that differs from the current one. */
function mutate(record: ChainedRecord, field: (typeof FIELDS)[number], salt: string): ChainedRecord {
  const copy: ChainedRecord = structuredClone(record);
  const flipHex = (hex: string) => (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
  switch (field) {
    case 'seq': copy.seq = record.seq + (salt.length % 2 ? 1 : -1); break;
    case 'recordedAt': copy.recordedAt = new Date(Date.parse(record.recordedAt) + 1 + salt.length).toISOString(); break;
    case 'nhsNumbers': copy.nhsNumbers = [...record.nhsNumbers, `x${salt}`]; break;
    case 'outcome': copy.outcome = record.outcome === 'success' ? 'denied' : 'success'; break;
    case 'detail': copy.detail = { ...(record.detail ?? {}), [`tamper${salt}`]: salt }; break;
    case 'prevHash': copy.prevHash = flipHex(record.prevHash); break;
    case 'hash': copy.hash = flipHex(record.hash); break;
    default: copy[field] = `${record[field] ?? ''}${salt}~`; break;
  }
  return copy;
}

describe('audit hash chain (pure)', () => {
  it('an untouched chain of any entries verifies, up to its head', () => {
    fc.assert(fc.property(chainArbitrary, (records) => {
      const last = records[records.length - 1]!;
      assert.equal(firstBreak(records, { seq: last.seq, hash: last.hash }), undefined);
    }));
  });

  it('any single-field change to any record is caught at that record', () => {
    fc.assert(fc.property(
      chainArbitrary, fc.nat(), fc.constantFrom(...FIELDS), fc.string({ maxLength: 3 }),
      (records, pick, field, salt) => {
        const index = pick % records.length;
        const last = records[records.length - 1]!;
        const tampered = records.map((r, i) => (i === index ? mutate(r, field, salt) : r));
        const broken = firstBreak(tampered, { seq: last.seq, hash: last.hash });
        assert.ok(broken, `a change to ${field} of seq ${index + 1} went unnoticed`);
        assert.equal(broken.seq, index + 1);
      },
    ));
  });

  it('removing any record is caught at the missing seq (the last one through the head)', () => {
    fc.assert(fc.property(chainArbitrary, fc.nat(), (records, pick) => {
      const index = pick % records.length;
      const last = records[records.length - 1]!;
      const broken = firstBreak(records.filter((_, i) => i !== index), { seq: last.seq, hash: last.hash });
      assert.equal(broken?.seq, index + 1);
      assert.match(broken!.problem, /missing/);
    }));
  });

  it('the hashed form survives the database round trip: jsonb key order and JSON re-parsing', () => {
    const reversedKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversedKeys);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
      }
      return value;
    };
    fc.assert(fc.property(entryArbitrary, timeArbitrary, (entry, at) => {
      const [record] = appendToChain({ seq: 0, hash: GENESIS_HASH }, [toAuditRecord(entry, at)]);
      const readBack = { ...JSON.parse(JSON.stringify(record)), detail: reversedKeys(JSON.parse(JSON.stringify(record!.detail))) };
      assert.equal(canonicalRecord(readBack), canonicalRecord(record!));
    }));
  });

  it('records and their hashed form are exactly as the writer made them before its fast paths (chains written then still verify)', () => {
    // The definitions the fast paths replace: every string repaired, every object's keys sorted, always.
    const repair = (text: string) => text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    const repaired = (value: unknown): unknown => {
      if (typeof value === 'string') return repair(value);
      if (Array.isArray(value)) return value.map(repaired);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [repair(k), repaired(v)]));
      return value;
    };
    const sorted = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sorted);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sorted(v)]));
      }
      return value;
    };
    // Keys and strings of any UTF-16 units (NUL, lone surrogates, pairs, digits that V8 orders first), already in order or not.
    const text = fc.string({ unit: 'binary', maxLength: 6 });
    const key = fc.oneof(text, fc.constantFrom('0', '1', '10', '2', 'a', 'b', 'aa', '__proto__'));
    const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(fc.property(entryArbitrary, fc.dictionary(key, json, { maxKeys: 5 }), fc.boolean(), timeArbitrary, (entry, detail, presorted, at) => {
      const given = presorted ? sorted(detail) as Record<string, unknown> : detail;
      const record = toAuditRecord({ ...entry, detail: given }, at);
      const expected = repaired(JSON.parse(JSON.stringify(given)));
      assert.equal(JSON.stringify(record.detail), JSON.stringify(expected));
      const [chained] = appendToChain({ seq: 0, hash: GENESIS_HASH }, [record]);
      const canonical = canonicalRecord(chained!);
      assert.equal(canonical, canonicalRecord({ ...chained!, detail: sorted(expected) as Record<string, unknown> }));
      assert.equal(JSON.stringify(JSON.parse(canonical).at(-1)), JSON.stringify(sorted(expected)));
    }), { numRuns: 500 });
  });

  it('the chain starts at seq 1 from the genesis hash and each record links to the one before', () => {
    fc.assert(fc.property(chainArbitrary, (records) => {
      records.forEach((record, i) => {
        assert.equal(record.seq, i + 1);
        assert.equal(record.prevHash, i === 0 ? GENESIS_HASH : records[i - 1]!.hash);
      });
    }));
  });
});
