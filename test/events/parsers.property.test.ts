import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCriteriaProblem, parseNemsCriteria, RULE_TYPES, SERVICE_TYPES } from '../../src/services/events/domain/nems-criteria.js';
import { matchesMnsFilters, parseMnsCriteria } from '../../src/services/events/domain/mns-criteria.js';
import { ageInYears, matchesNems, partnerId } from '../../src/services/events/domain/matching.js';
import { retryDelayMs } from '../../src/services/events/domain/backoff.js';
import { signBody, verifySignature } from '../../src/services/events/domain/signing.js';
import { parseXmlDocument, toFhirXml, valueOf, children } from '../../src/services/events/domain/fhir-xml.js';
import { parseChannel } from '../../src/services/events/routes/subscription-channel.js';
import { WebhookReach } from '../../src/services/events/domain/webhook-reach.js';
import { parseNetwork } from '../../src/platform/events/relay-config.js';
import { normalisePrefix, postcodePrefixes } from '../../src/services/directory/domain/postcode-areas.js';
import { FHIR_DATE_TIME } from '../../src/services/events/routes/nems-schemas.js';
import { decodeCursor, encodeCursor } from '../../src/services/events/domain/mns-cursor.js';
import { conformanceTo } from '../../src/platform/http/validation.js';

const EVENTS = ['pds-change-of-gp-1', 'pds-death-notification-1', 'vaccinations-1'];
const NHS = ['9000000009', '9000000017', '9990000018'];

describe('NEMS criteria parser', () => {
  it('a component repeated 200,000 times is read in one pass (each repeat had copied the list of those before it)', () => {
    const started = performance.now();
    const parsed = parseNemsCriteria(`/Bundle?type=message${'&tag=x'.repeat(200_000)}`);
    assert.ok(isCriteriaProblem(parsed), 'a repeated tag is refused');
    // Quadratic, this took minutes; linear, milliseconds. The bound is far from either.
    assert.ok(performance.now() - started < 5_000, `read in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('never throws, and returns criteria or a coded problem, for any text', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      for (const text of [a, `/Bundle?type=message&${b}`, `/Bundle?type=message&MessageHeader.event=${a}&${b}`]) {
        const parsed = parseNemsCriteria(text);
        if (isCriteriaProblem(parsed)) assert.ok(parsed.diagnostics.length > 0);
        else assert.ok(parsed.events.length >= 1);
      }
    }), { numRuns: 300 });
  });

  it('reads back what a valid explicit or generic criteria string says, in any component order', () => {
    const explicit = fc.record({
      nhs: fc.constantFrom(...NHS), events: fc.uniqueArray(fc.constantFrom(...EVENTS), { minLength: 1, maxLength: 3 }),
      service: fc.option(fc.constantFrom(...SERVICE_TYPES), { nil: undefined }), tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_|,-]{1,20}$/), { nil: undefined }),
    });
    fc.assert(fc.property(explicit, fc.boolean(), (c, reverse) => {
      const parts = [`Patient.identifier=http://fhir.nhs.net/Id/nhs-number|${c.nhs}`, ...c.events.map((e) => `MessageHeader.event=${e}`),
        ...(c.service ? [`serviceType=${c.service}`] : []), ...(c.tag ? [`tag=${c.tag}`] : [])];
      const parsed = parseNemsCriteria(`/Bundle?type=message&${(reverse ? parts.reverse() : parts).join('&')}`);
      assert.ok(!isCriteriaProblem(parsed), JSON.stringify(parsed));
      assert.equal(parsed.kind, 'explicit');
      assert.equal(parsed.nhsNumber, c.nhs);
      assert.deepEqual([...parsed.events].sort(), [...c.events].sort());
      assert.equal(parsed.tag, c.tag);
    }));
    fc.assert(fc.property(fc.constantFrom(...RULE_TYPES.filter((r) => r !== 'COUNTRYCODE')), fc.stringMatching(/^[A-Z0-9]{3,8}$/), fc.constantFrom(...EVENTS), (rule, org, event) => {
      const parsed = parseNemsCriteria(`/Bundle?type=message&subscriptionRuleType=${rule}&Organization.identifier=${org}&MessageHeader.event=${event}`);
      assert.ok(!isCriteriaProblem(parsed));
      assert.deepEqual(parsed.rule, { type: rule, organisation: org });
    }));
  });

  it('a generic subscription names one event; explicit ones take no rule', () => {
    assert.equal((parseNemsCriteria('/Bundle?type=message&subscriptionRuleType=GP_GP_GP&Organization.identifier=A1&MessageHeader.event=vaccinations-1&MessageHeader.event=pds-change-of-gp-1') as { code: string }).code, 'INVALID_PARAMETER');
    assert.equal((parseNemsCriteria('/Bundle?type=message&Patient.identifier=http://fhir.nhs.net/Id/nhs-number|9000000009&subscriptionRuleType=GP_GP_GP&MessageHeader.event=vaccinations-1') as { code: string }).code, 'INVALID_PARAMETER');
  });
});

describe('NEMS matching', () => {
  it('age bounds are strict and whole years; an unknown birth date never matches an age rule', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 110 }), fc.integer({ min: 1, max: 100 }), (age, bound) => {
      const at = new Date('2030-06-15T00:00:00Z');
      const birthDate = `${2030 - age}-06-15`;
      assert.equal(ageInYears(birthDate, at), age);
      const criteria = { kind: 'generic' as const, events: ['vaccinations-1'], ages: [{ op: 'lt' as const, years: bound }], rule: { type: 'GP_GP_GP' as const, organisation: 'A1' } };
      assert.equal(matchesNems(criteria, 'vaccinations-1', { gpOds: 'A1', gpParents: [], postcodes: [], postcodeIcbs: [], postcodeLocalAuthorities: [], birthDate }, at), age < bound);
      assert.equal(matchesNems(criteria, 'vaccinations-1', { gpOds: 'A1', gpParents: [], postcodes: [], postcodeIcbs: [], postcodeLocalAuthorities: [] }, at), false);
    }));
  });

  it('the postcode rules match the ICB sub location or local authority responsible for the postcode, and nothing else', () => {
    fc.assert(fc.property(fc.constantFrom('CHO_POSTCODE_CCG' as const, 'UHV_POSTCODE_LACODE' as const), fc.stringMatching(/^[A-Z0-9]{3,9}$/),
      fc.array(fc.stringMatching(/^[A-Z0-9]{3,9}$/), { maxLength: 3 }), fc.array(fc.stringMatching(/^[A-Z0-9]{3,9}$/), { maxLength: 3 }), (type, org, icbs, las) => {
        const criteria = { kind: 'generic' as const, events: ['pds-change-of-address-1'], ages: [], rule: { type, organisation: org } };
        const facts = { gpParents: [], postcodes: ['LS1 6AE'], postcodeIcbs: icbs, postcodeLocalAuthorities: las };
        const expected = type === 'CHO_POSTCODE_CCG' ? icbs.includes(org) : las.includes(org);
        assert.equal(matchesNems(criteria, 'pds-change-of-address-1', facts, new Date()), expected);
      }));
  });

  it('Mex-PartnerID joins subId|tag pairs of tagged subscriptions with ~~~', () => {
    fc.assert(fc.property(fc.array(fc.record({ id: fc.uuid(), tag: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,5}$/), { nil: undefined }) })), (subs) => {
      const value = partnerId(subs);
      const tagged = subs.filter((s) => s.tag);
      if (tagged.length === 0) assert.equal(value, undefined);
      else assert.deepEqual(value!.split('~~~'), tagged.map((s) => `${s.id}|${s.tag}`));
    }));
  });
});

describe('MNS criteria', () => {
  it('never throws; eventType first; filters match string or array values', () => {
    fc.assert(fc.property(fc.string(), (text) => { parseMnsCriteria(text); }), { numRuns: 300 });
    const parsed = parseMnsCriteria("eventType='gpreg-change-gp-req-1' AND generalpractitioner='XY11'");
    assert.deepEqual(parsed, { eventType: 'gpreg-change-gp-req-1', filters: [{ key: 'generalpractitioner', value: 'XY11' }] });
    if ('problem' in parsed) return;
    assert.equal(matchesMnsFilters(parsed, { generalpractitioner: 'XY11' }), true);
    assert.equal(matchesMnsFilters(parsed, { generalpractitioner: ['AB1', 'XY11'] }), true);
    assert.equal(matchesMnsFilters(parsed, { generalpractitioner: 'AB1' }), false);
    assert.equal(matchesMnsFilters(parsed, undefined), false);
  });

  it('a filter whose value is empty or white space is a problem naming its key, however it is quoted', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/).filter((k) => k !== 'eventType');
    fc.assert(fc.property(key, fc.stringMatching(/^ {0,5}$/), fc.boolean(), (k, blank, quoted) => {
      const term = quoted ? `${k}='${blank}'` : `${k}=`;
      assert.deepEqual(parseMnsCriteria(`eventType='pds-change-of-gp-2' AND ${term}`), { problem: `Filter '${k}' has no value` });
    }), { numRuns: 200 });
  });
});

describe('delivery helpers', () => {
  it('backoff doubles from the base, is capped, and jitters by at most 20%', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (attempts, base, max, r) => {
      const d = retryDelayMs(attempts, base, max, r);
      const plain = Math.min(base * 2 ** Math.min(attempts - 1, 30), max);
      assert.ok(d >= plain && d <= Math.round(plain * 1.2) + 1, `${d} vs ${plain}`);
    }));
  });

  it('a signature verifies only for the same secret and the same bytes', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, body, other) => {
      assert.equal(verifySignature(secret, body, signBody(secret, body)), true);
      if (other !== body) assert.equal(verifySignature(secret, other, signBody(secret, body)), false);
    }));
  });

  it('webhook endpoints: https to addresses the reach allows, loopback http in sandbox mode only; mesh:// needs a workflow', () => {
    const reachOf = (sandbox: boolean) => new WebhookReach([], sandbox);
    fc.assert(fc.property(fc.string(), fc.boolean(), (endpoint, sandbox) => {
      const channel = parseChannel('rest-hook', endpoint, sandbox, reachOf(sandbox));
      if (!('problem' in channel) && channel.channel === 'rest-hook') {
        const url = new URL(channel.url);
        assert.ok(url.protocol === 'https:' || (sandbox && url.protocol === 'http:'));
      }
    }), { numRuns: 300 });
    assert.deepEqual(parseChannel('message', 'mesh://x26abc1?workflow_id=WF_1', false, reachOf(false)), { channel: 'mesh', mailbox: 'X26ABC1', workflowId: 'WF_1' });
    assert.ok('problem' in parseChannel('rest-hook', 'http://127.0.0.1:9/hook', false, reachOf(false)));
    assert.ok('problem' in parseChannel('message', 'arn:aws:sqs:eu-west-2:1:q', false, reachOf(false)));
    // Outside sandbox mode, no internal address, however it is written; a public one or a name is taken.
    for (const endpoint of ['https://127.0.0.1:9399/hook', 'https://127.1/', 'https://2130706433/', 'https://0x7f.0.0.1/', 'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/', 'https://172.31.255.255/', 'https://192.168.1.1/', 'https://100.64.0.1/', 'https://[::1]:9399/x', 'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/', 'https://[fe80::1]/', 'https://[fd00::1]/', 'https://0.0.0.0:9399/x', 'https://[::]/', 'https://localhost/', 'https://a.localhost/',
      'https://224.0.0.1/', 'https://255.255.255.255/']) {
      const channel = parseChannel('rest-hook', endpoint, false, reachOf(false));
      assert.ok('problem' in channel && /internal address/.test(channel.problem), endpoint);
    }
    for (const endpoint of ['https://8.8.8.8/hook', 'https://[2a00:1450:4009::1]/', 'https://receiver.example.org/hook', 'https://172.32.0.1/']) {
      assert.ok(!('problem' in parseChannel('rest-hook', endpoint, false, reachOf(false))), endpoint);
    }
    // Sandbox mode reaches loopback, and a deployment the networks it names; nothing else internal.
    assert.ok(!('problem' in parseChannel('rest-hook', 'http://127.0.0.1:9/hook', true, reachOf(true))));
    assert.ok('problem' in parseChannel('rest-hook', 'https://10.0.0.1/', true, reachOf(true)));
    const own = new WebhookReach(['10.20.0.0/16', 'fd00:1::/32'], false);
    assert.ok(!('problem' in parseChannel('rest-hook', 'https://10.20.3.4/hook', false, own)));
    assert.ok(!('problem' in parseChannel('rest-hook', 'https://[fd00:1::5]/hook', false, own)));
    assert.ok('problem' in parseChannel('rest-hook', 'https://10.21.3.4/hook', false, own));
  });

  it('network lists: every address/prefix is read, anything else is not', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, prefix) => {
      assert.deepEqual(parseNetwork(`${address}/${prefix}`), [address, prefix, 'ipv4']);
    }));
    fc.assert(fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (address, prefix) => {
      assert.deepEqual(parseNetwork(`${address}/${prefix}`), [address, prefix, 'ipv6']);
    }));
    for (const text of ['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/1e1', 'example.org/8', '/8', '10.0.0.0/8/8', '']) {
      assert.equal(parseNetwork(text), undefined, text);
    }
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => { parseNetwork(text); }));
  });

  it('an address is reachable exactly when it is in no special-purpose network, or in an allowed one', () => {
    const outward = new WebhookReach([], false);
    fc.assert(fc.property(fc.ipV4(), (address) => {
      const [a, b] = address.split('.').map(Number) as [number, number];
      const special = a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254)
        || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))
        || address.startsWith('192.0.0.') || address.startsWith('192.0.2.') || address.startsWith('192.88.99.') || address.startsWith('198.51.100.') || address.startsWith('203.0.113.');
      assert.equal(outward.allowsAddress(address), !special, address);
      assert.equal(outward.allowsAddress(`::ffff:${address}`), !special, `::ffff:${address}`);
      assert.equal(new WebhookReach(['0.0.0.0/0'], false).allowsAddress(address), true);
    }), { numRuns: 5_000 });
  });

  // IANA's IPv4 and IPv6 Special-Purpose Address Registries, every block not globally reachable (or
  // holding one that is not), written out here rather than read from the code under test; and the
  // forms that carry an IPv4 address inside IPv6.
  const SPECIAL_V4: readonly [string, number][] = [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
    ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
    ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]];
  const SPECIAL_V6: readonly [string, number][] = [['::', 96], ['::ffff:0:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64],
    ['100:0:0:1::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]];
  const v4 = (n: bigint) => [24n, 16n, 8n, 0n].map((shift) => (n >> shift) & 0xffn).join('.');
  const v6 = (n: bigint) => [...Array(8).keys()].map((i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
  const v4Number = (address: string) => address.split('.').reduce((n, part) => (n << 8n) | BigInt(part), 0n);
  const v6Number = (address: string) => {
    const [head, tail = ''] = address.split('::');
    const groups = (text: string) => (text ? text.split(':') : []);
    const all = [...groups(head!), ...Array(8 - groups(head!).length - groups(tail).length).fill('0'), ...groups(tail)];
    return all.reduce((n, group) => (n << 16n) | BigInt(`0x${group}`), 0n);
  };
  /** An address inside `base/prefix`, the bits below the prefix from `random`. */
  const inside = (base: bigint, prefix: number, bits: number, random: bigint) => {
    const host = (1n << BigInt(bits - prefix)) - 1n;
    return (base & ~host) | (random & host);
  };
  const randomBits = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

  it('no address in a special-purpose block is reachable, however IPv6 carries it', () => {
    const outward = new WebhookReach([], false);
    fc.assert(fc.property(fc.constantFrom(...SPECIAL_V4), randomBits, ([base, prefix], random) => {
      const n = inside(v4Number(base), prefix, 32, random);
      const address = v4(n);
      for (const form of [address, `::ffff:${address}`, v6(0xffff00000000n | n), `::${address}`, `::ffff:0:${address}`, `64:ff9b::${address}`]) {
        assert.equal(outward.allowsAddress(form), false, `${form} (${base}/${prefix})`);
      }
    }), { numRuns: 2_000 });
    fc.assert(fc.property(fc.constantFrom(...SPECIAL_V6), randomBits, ([base, prefix], random) => {
      const address = v6(inside(v6Number(base), prefix, 128, random));
      assert.equal(outward.allowsAddress(address), false, `${address} (${base}/${prefix})`);
    }), { numRuns: 2_000 });
    // The edges: the blocks end where the registries end them.
    for (const address of ['3fff:1000::1', '2a00:1450:4009::1', '8.8.8.8', '::ffff:8.8.8.8']) {
      assert.equal(outward.allowsAddress(address), true, address);
    }
  });
});

describe('FHIR XML', () => {
  it('what is written reads back: primitives, repeats, extension urls, escaping', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.string(), { maxLength: 3 }), (text, lines) => {
      const clean = (s: string) => s.replace(/[^\u0020-\uD7FF\uE000-\uFFFD]/g, '');
      const resource = { resourceType: 'Patient', id: 'p1', extension: [{ url: 'https://e/x', valueString: clean(text) }], address: [{ line: lines.map(clean) }] };
      const doc = parseXmlDocument(toFhirXml(resource));
      assert.ok(doc);
      assert.equal(doc.rootName, 'Patient');
      assert.equal(valueOf(doc.root, 'id'), 'p1');
      const ext = children(doc.root, 'extension')[0]!;
      assert.equal(ext.url, 'https://e/x');
      assert.equal(valueOf(ext, 'valueString'), clean(text).trim() === clean(text) ? clean(text) : valueOf(ext, 'valueString'));
      assert.equal(children(children(doc.root, 'address')[0], 'line').length, lines.length);
    }));
  });

  it('anything that is not one well-formed document reads as nothing, never a throw', () => {
    fc.assert(fc.property(fc.string(), (text) => { parseXmlDocument(text); }), { numRuns: 500 });
    assert.equal(parseXmlDocument('<a><b></a>'), undefined);
    assert.equal(parseXmlDocument('<!DOCTYPE x [<!ENTITY e "x">]><a/>'), undefined);
  });
});

describe('postcode areas (directory)', () => {
  const postcode = fc.tuple(fc.stringMatching(/^[A-Z]{1,2}$/), fc.stringMatching(/^[0-9][0-9A-Z]?$/), fc.stringMatching(/^[0-9]$/), fc.stringMatching(/^[A-Z]{2}$/));
  it('a postcode\'s prefixes are its unit, sector, district and area, longest first, however it is spaced or cased', () => {
    fc.assert(fc.property(postcode, fc.constantFrom('', ' ', '  '), fc.boolean(), ([area, district, sector, unit], space, lower) => {
      const text = `${area}${district}${space}${sector}${unit}`;
      const prefixes = postcodePrefixes(lower ? text.toLowerCase() : text);
      assert.equal(prefixes.length, 4);
      assert.equal(prefixes[3], area);
      assert.ok(prefixes.every((p, i) => i === 0 || prefixes[i - 1]!.startsWith(p)), JSON.stringify(prefixes));
      // Every prefix is one the directory would store as it is.
      for (const p of prefixes) assert.equal(normalisePrefix(p), p);
    }));
    assert.deepEqual(postcodePrefixes('ls1 6ae'), ['LS1 6AE', 'LS1 6', 'LS1', 'LS']);
    assert.deepEqual(postcodePrefixes('SW1A1AA'), ['SW1A 1AA', 'SW1A 1', 'SW1A', 'SW']);
  });
  it('never throws; what is not a postcode has no prefixes, and a district is never read as a sector', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      postcodePrefixes(text);
      normalisePrefix(text);
    }), { numRuns: 500 });
    assert.deepEqual(postcodePrefixes('not a postcode'), []);
    assert.equal(normalisePrefix('LS16'), 'LS16');
    assert.equal(normalisePrefix('ls1 6'), 'LS1 6');
    assert.equal(normalisePrefix('LS16AE'), 'LS1 6AE');
    assert.equal(normalisePrefix('LS1-6'), undefined);
  });
});

describe('NEMS routing birthDateTime (a FHIR dateTime)', () => {
  const birth = conformanceTo({ type: 'object', properties: { birthDateTime: FHIR_DATE_TIME } });
  const taken = (value: string) => birth.failure({ birthDateTime: value }) === undefined;
  const dates = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });

  it('takes every year, year-month, date and instant with a zone', () => {
    fc.assert(fc.property(dates, (d) => {
      const iso = d.toISOString();
      for (const value of [iso.slice(0, 4), iso.slice(0, 7), iso.slice(0, 10), iso, `${iso.slice(0, 19)}+01:00`]) assert.ok(taken(value), value);
    }), { numRuns: 300 });
  });

  it('whatever it takes is a real calendar date of a year after 0000, and reads as one', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9:.]{8,12}(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/)), (value) => {
      if (!taken(value)) return;
      assert.match(value, /^[0-9]{4}/);
      assert.notEqual(value.slice(0, 4), '0000');
      // The date part (what the age rules read) is a real calendar date: it reads back as itself.
      const date = value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value.slice(0, 10);
      assert.equal(new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10), date, value);
    }), { numRuns: 1_000 });
  });
});

describe('MNS continue_from cursors', () => {
  const dates = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });

  it('every cursor it writes reads back as what it was written from', () => {
    fc.assert(fc.property(dates, fc.uuid({ version: 4 }), (at, id) => {
      assert.deepEqual(decodeCursor(encodeCursor({ at, id })), { at, id });
    }), { numRuns: 500 });
  });

  it('any other text reads as nothing, never a throw; whatever it reads is a time PostgreSQL holds, written back the same', () => {
    const texts = fc.oneof(fc.string(), fc.base64String(), fc.tuple(fc.string(), fc.uuid()).map(([a, b]) => Buffer.from(`${a}|${b}`).toString('base64url')),
      fc.tuple(fc.integer({ min: -300_000, max: 300_000 }), fc.uuid({ version: 4 })).map(([year, id]) => {
        const at = new Date(Date.UTC(2000, 0, 1));
        at.setUTCFullYear(year);
        return Buffer.from(`${Number.isNaN(at.getTime()) ? 'x' : at.toISOString()}|${id}`).toString('base64url');
      }));
    fc.assert(fc.property(texts, (raw) => {
      const cursor = decodeCursor(raw);
      if (!cursor) return;
      const year = cursor.at.getUTCFullYear();
      assert.ok(year >= 1 && year <= 9999, raw);
      assert.equal(encodeCursor(cursor), raw);
    }), { numRuns: 1_000 });
  });
});
