import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkCommunication, checkDeathNotification, checkForbiddenChanges, checkInterpreterKept, checkPatchedRecord, checkSingleExtensions,
} from '../../src/services/demographics/patch/patient-rules.js';
import { checkAddressesAdded } from '../../src/services/demographics/patch/address-rules.js';
import { checkItemIdsKept } from '../../src/services/demographics/patch/item-identity.js';
import type { Address, Extension, Patient } from '../../src/services/demographics/fhir-types.js';
import { spineErrorCodeOf as codeOf } from '../support/spine-error-code.js';

// PDS spec (patient-patch.yaml and Patient.yaml) on the record a PATCH would produce, compared
// with the record as held.

const TODAY = '2026-06-15';
const base: Patient = {
  resourceType: 'Patient', id: '9000000009', gender: 'female', birthDate: '1980-02-03', meta: { versionId: '1' },
  name: [{ id: 'n1', use: 'usual', family: 'Smith', given: ['Jane'] }],
  address: [{ id: 'a1', use: 'home', line: ['1 Road'], postalCode: 'LS1 6AE' }],
};
const DAY_IN_MS = 24 * 60 * 60 * 1000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A real calendar day from 1900 to 2099. */
const day = fc.integer({ min: Date.UTC(1900, 0, 1) / DAY_IN_MS, max: Date.UTC(2099, 11, 31) / DAY_IN_MS }).map((d) => dayOf(d * DAY_IN_MS));

const UKCORE = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-';
const DEATH_NOTIFICATION = `${UKCORE}DeathNotificationStatus`;
const COMMUNICATION = `${UKCORE}NHSCommunication`;
const deathNotification = (status: string): Extension => ({
  url: DEATH_NOTIFICATION,
  extension: [{ url: 'deathNotificationStatus', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus', code: status }] } }],
});
const speaking = (code: string, interpreter?: boolean): Extension => ({
  url: COMMUNICATION,
  extension: [
    { url: 'language', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage', code }] } },
    ...(interpreter === undefined ? [] : [{ url: 'interpreterRequired', valueBoolean: interpreter }]),
  ],
});

describe('the record a PATCH produces (properties)', () => {
  it('gender: male, female and unknown are taken; other only where it was already other; anything else is 400 INVALID_UPDATE', () => {
    const gender = fc.oneof(fc.constantFrom('male', 'female', 'unknown', 'other'), fc.string({ maxLength: 8 }));
    fc.assert(fc.property(gender, fc.constantFrom('male', 'female', 'unknown', 'other'), (now, was) => {
      const expected = ['male', 'female', 'unknown'].includes(now) || (now === 'other' && was === 'other') ? 'ok' : 'INVALID_UPDATE';
      const before = { ...base, gender: was } as Patient;
      assert.equal(codeOf(() => checkPatchedRecord(before, { ...before, gender: now } as Patient, TODAY)), expected, `${was} → ${now}`);
    }), { numRuns: 300 });
  });

  it('a date of birth is taken exactly when it is a real YYYY-MM-DD day not after today; one character changed, added or dropped it is refused', () => {
    const edit = fc.constantFrom('change', 'add', 'drop');
    fc.assert(fc.property(day, fc.nat(), fc.constantFrom(...'0123456789-/ TZ'), edit, (birth, at, c, how) => {
      const expected = birth <= TODAY ? 'ok' : 'INVALID_UPDATE';
      assert.equal(codeOf(() => checkPatchedRecord(base, { ...base, birthDate: birth }, TODAY)), expected, birth);
      const i = at % (birth.length + 1);
      const changed = `${birth.slice(0, i)}${how === 'drop' ? '' : c}${birth.slice(how === 'add' ? i : i + 1)}`;
      const stillADay = /^\d{4}-\d{2}-\d{2}$/.test(changed) && !Number.isNaN(Date.parse(changed)) && dayOf(Date.parse(changed)) === changed;
      fc.pre(!stillADay);
      assert.equal(codeOf(() => checkPatchedRecord(base, { ...base, birthDate: changed }, TODAY)), 'INVALID_UPDATE', changed);
    }), { numRuns: 500 });
  });

  it('a work address is never taken; a period that starts after it ends is refused, one that does not is taken', () => {
    fc.assert(fc.property(fc.constantFrom('home', 'work', 'temp', 'billing'), day, day, fc.constantFrom('name', 'address', 'telecom'), (use, start, end, where) => {
      const withAddress = { ...base, address: [{ ...base.address![0]!, use: use as Address['use'] }] };
      assert.equal(codeOf(() => checkPatchedRecord(base, withAddress, TODAY)), use === 'work' ? 'INVALID_UPDATE' : 'ok');
      const item = { ...(where === 'telecom' ? { system: 'phone', value: '01632960001' } : base[where as 'name' | 'address']![0]), period: { start, end } };
      const withPeriod = { ...base, [where]: [item] } as Patient;
      assert.equal(codeOf(() => checkPatchedRecord(base, withPeriod, TODAY)), start > end ? 'INVALID_UPDATE' : 'ok', JSON.stringify(item));
    }), { numRuns: 300 });
  });

  it('a date of death needs a death notification, is not in the future nor before birth, and once set is never changed (403)', () => {
    fc.assert(fc.property(day, fc.boolean(), fc.option(day), (death, notified, held) => {
      const before: Patient = held === null ? base : { ...base, deceasedDateTime: held, extension: [deathNotification('1')] };
      const after: Patient = { ...base, deceasedDateTime: death, ...(notified ? { extension: [deathNotification('1')] } : {}) };
      const expected = held !== null && held !== death ? 'FORBIDDEN_UPDATE'
        : !notified || death > TODAY || death < base.birthDate! ? 'INVALID_UPDATE' : 'ok';
      assert.equal(codeOf(() => checkPatchedRecord(before, after, TODAY)), expected, `${String(held)} → ${death}, notified ${notified}`);
    }), { numRuns: 500 });
  });

  it('the birth date, the gender and the only usual name are not removed, nor a second usual name added (403 FORBIDDEN_UPDATE)', () => {
    const change = fc.constantFrom('drop birthDate', 'drop gender', 'add usual name', 'add nickname', 'make usual name old', 'change family', 'drop address');
    fc.assert(fc.property(fc.uniqueArray(change, { maxLength: 4 }), (changes) => {
      const after = structuredClone(base);
      for (const c of changes) {
        if (c === 'drop birthDate') delete after.birthDate;
        if (c === 'drop gender') delete after.gender;
        if (c === 'add usual name') after.name!.push({ use: 'usual', family: 'Jones' });
        if (c === 'add nickname') after.name!.push({ use: 'nickname', given: ['Jo'] });
        if (c === 'make usual name old') after.name![0]!.use = 'old';
        if (c === 'change family') after.name![0]!.family = 'Brown';
        if (c === 'drop address') delete after.address;
      }
      const usual = after.name!.filter((n) => n.use === 'usual').length;
      const forbidden = changes.includes('drop birthDate') || changes.includes('drop gender') || usual !== 1;
      assert.equal(codeOf(() => checkForbiddenChanges(base, after)), forbidden ? 'FORBIDDEN_UPDATE' : 'ok', changes.join(', '));
    }), { numRuns: 300 });
  });
});

describe('extensions a PATCH adds or changes (properties)', () => {
  /** ISO 639-1 codes (UKCore-HumanLanguage) and the q codes the spec's list adds; codes outside it. */
  const ACCEPTED = ['fr', 'de', 'ar', 'bn', 'cy', 'gd', 'zh', 'pl', 'pa', 'ur', 'so', 'tr', 'q1', 'q4', 'q5'];
  const ENGLISH = ['en', 'EN', 'en-GB', 'en-US', 'En'];
  const OUTSIDE = ['qa', 'q6', 'xx', 'zz', 'fra', 'eng', 'e', '12'];

  it('a new preferred language is taken from the accepted list; English is 400 INVALID_UPDATE; a code outside the list 400 INVALID_VALUE', () => {
    fc.assert(fc.property(fc.constantFrom(...ACCEPTED, ...ENGLISH, ...OUTSIDE), fc.option(fc.boolean()), fc.boolean(), (code, interpreter, replacing) => {
      const before = replacing ? { ...base, extension: [speaking('fr', true)] } : base;
      const expected = ACCEPTED.includes(code) ? 'ok' : ENGLISH.includes(code) ? 'INVALID_UPDATE' : 'INVALID_VALUE';
      assert.equal(codeOf(() => checkCommunication(before, { ...base, extension: [speaking(code, interpreter ?? undefined)] })), expected, code);
    }), { numRuns: 300 });
  });

  it('an extension exactly as held is not checked again (legacy data), and no patch makes more NHSCommunication extensions than one or than were held', () => {
    fc.assert(fc.property(fc.constantFrom(...OUTSIDE), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 }), (legacy, held, now) => {
      // The first carries a code outside the list, as legacy data may; the others accepted codes.
      const list = (n: number) => Array.from({ length: n }, (_, i) => speaking(i === 0 ? legacy : ACCEPTED[i]!));
      // Only what is not held is checked: the first is new only when nothing was held.
      const expected = now > Math.max(1, held) ? 'INVALID_UPDATE' : held === 0 && now > 0 ? 'INVALID_VALUE' : 'ok';
      assert.equal(codeOf(() => checkCommunication({ ...base, extension: list(held) }, { ...base, extension: list(now) })), expected, `${held} held, ${now} now`);
    }), { numRuns: 300 });
  });

  it('interpreterRequired of a language the patient keeps may change but not go (400 INVALID_UPDATE); another language is free', () => {
    fc.assert(fc.property(fc.constantFrom('fr', 'de', 'q4'), fc.constantFrom('fr', 'de', 'q4'), fc.option(fc.boolean()), (was, now, interpreter) => {
      const before = { ...base, extension: [speaking(was, true)] };
      const after = { ...base, extension: [speaking(now, interpreter ?? undefined)] };
      const expected = was === now && interpreter === null ? 'INVALID_UPDATE' : 'ok';
      assert.equal(codeOf(() => checkInterpreterKept(before, after)), expected, `${was} → ${now} ${String(interpreter)}`);
    }), { numRuns: 200 });
  });

  it('Patient.yaml: zero or one of each pharmacy, death notification, contact preference and birth place: a second is 400 INVALID_UPDATE unless already held', () => {
    const single = fc.constantFrom(`${UKCORE}NominatedPharmacy`, `${UKCORE}PreferredDispenserOrganization`, `${UKCORE}MedicalApplianceSupplier`, DEATH_NOTIFICATION,
      `${UKCORE}ContactPreference`, 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace');
    fc.assert(fc.property(single, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), (url, held, now) => {
      const list = (n: number): Extension[] => Array.from({ length: n }, (_, i) => ({ url, valueString: `x${i}` }));
      const expected = now > Math.max(1, held) ? 'INVALID_UPDATE' : 'ok';
      assert.equal(codeOf(() => checkSingleExtensions({ ...base, extension: list(held) }, { ...base, extension: list(now) })), expected, `${held} → ${now}`);
    }), { numRuns: 300 });
  });

  it('death notification: never removed (403); informal (1) by anyone, formal (2) only by an application allowed it (403), U never (400); a formal one is never replaced (403)', () => {
    const status = fc.constantFrom('1', '2', 'U');
    fc.assert(fc.property(fc.option(status), fc.option(status), fc.boolean(), (was, now, mayRecordFormalDeath) => {
      const before = was === null ? base : { ...base, extension: [deathNotification(was)] };
      const after = now === null ? base : { ...base, extension: [deathNotification(now)] };
      const expected = was !== null && now === null ? 'FORBIDDEN_UPDATE'
        : now === null || now === was ? 'ok'
          : was === '2' ? 'FORBIDDEN_UPDATE'
            : now === 'U' ? 'INVALID_UPDATE'
              : now === '2' && !mayRecordFormalDeath ? 'FORBIDDEN_UPDATE' : 'ok';
      assert.equal(codeOf(() => checkDeathNotification(before, after, mayRecordFormalDeath)), expected, `${String(was)} → ${String(now)}, may ${mayRecordFormalDeath}`);
    }), { numRuns: 300 });
  });
});

describe('addresses and item ids a PATCH produces (properties)', () => {
  it('a temp (billing) address added has a period with a start and an end at most 90 (366) days apart, and a temp one its text', () => {
    const length = fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constantFrom(89, 90, 91, 365, 366, 367));
    fc.assert(fc.property(fc.constantFrom('temp', 'billing'), day, length, fc.constantFrom('both', 'no start', 'no end'), fc.boolean(), (use, start, days, ends, text) => {
      const end = dayOf(Date.parse(start) + days * DAY_IN_MS);
      const period = ends === 'both' ? { start, end } : ends === 'no start' ? { end } : { start };
      const added: Address = { use: use as Address['use'], line: ['2 Lane'], period, ...(text ? { text: 'Student Accommodation' } : {}) };
      const expected = ends !== 'both' || days > (use === 'temp' ? 90 : 366) ? 'INVALID_UPDATE' : use === 'temp' && !text ? 'MISSING_VALUE' : 'ok';
      assert.equal(codeOf(() => checkAddressesAdded(base, { ...base, address: [...base.address!, added] })), expected, JSON.stringify(added));
    }), { numRuns: 500 });
  });

  it('no address use (home, temp, billing) is held more often than once or than before; an address held as it was is not checked again', () => {
    const longTemp: Address = { id: 'old', use: 'temp', text: 'Holiday Home', period: { start: '2020-01-01', end: '2021-12-31' } };
    fc.assert(fc.property(fc.constantFrom('home', 'temp', 'billing'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), (use, held, now, touched) => {
      const list = (n: number): Address[] => Array.from({ length: n }, (_, i) => ({ use: use as Address['use'], id: `a${i}`, text: 'Student Accommodation', period: { start: '2026-01-01', end: '2026-01-31' } }));
      assert.equal(codeOf(() => checkAddressesAdded({ ...base, address: list(held) }, { ...base, address: list(now) })), now > Math.max(1, held) ? 'INVALID_UPDATE' : 'ok', `${use}: ${held} → ${now}`);
      // Legacy data: a temp address of almost two years, kept as held or changed.
      const kept = touched ? { ...longTemp, text: 'Second Home' } : longTemp;
      assert.equal(codeOf(() => checkAddressesAdded({ ...base, address: [longTemp] }, { ...base, address: [kept] })), touched ? 'INVALID_UPDATE' : 'ok');
    }), { numRuns: 300 });
  });

  it('after a patch every item id is one the list held (no more often) or one PDS gave an added item; any other is 400 INVALID_UPDATE', () => {
    const id = fc.constantFrom('t1', 't2', 't3', 'NEW1', 'NEW2', 'X');
    fc.assert(fc.property(fc.array(fc.option(id), { maxLength: 4 }), fc.array(fc.option(id), { maxLength: 5 }), fc.uniqueArray(fc.constantFrom<string>('NEW1', 'NEW2'), { maxLength: 2 }), (heldIds, nowIds, added) => {
      const telecoms = (ids: ReadonlyArray<string | null>) => ids.map((i) => ({ system: 'phone' as const, value: '01632960001', ...(i === null ? {} : { id: i }) }));
      const count = (ids: ReadonlyArray<string | null>, i: string) => ids.filter((x) => x === i).length;
      const allowed = nowIds.every((i) => i === null || count(nowIds, i) <= (count(heldIds, i) || (added.includes(i) ? 1 : 0)));
      const result = codeOf(() => checkItemIdsKept({ ...base, telecom: telecoms(heldIds) }, { ...base, telecom: telecoms(nowIds) }, new Set(added)));
      assert.equal(result, allowed ? 'ok' : 'INVALID_UPDATE', `${JSON.stringify(heldIds)} → ${JSON.stringify(nowIds)} + ${JSON.stringify(added)}`);
    }), { numRuns: 500 });
  });
});
