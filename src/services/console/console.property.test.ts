import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvCell, toCsv } from './csv.js';
import { CHART_HEIGHT, CHART_WIDTH, lineChart, niceCeiling } from './overview/chart.js';
import { percentile95Ms, serviceOfRoute, summarise, type Counts } from './overview/traffic.js';
import type { TrafficRow } from '../../platform/http/traffic-minutes.js';
import { personFromClaims } from './auth/person.js';
import { safeReturnPath } from './routes/login.js';
import { mayView, PAGES, CONSOLE_ROLES } from './pages.js';
import { auditSearchOf } from './routes/audit.js';
import { formDay } from './http.js';
import { RequestValidationError } from '../../platform/http/validation.js';

/** Parses RFC 4180 CSV (quoted cells, doubled quotes): enough to read back what toCsv wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  return rows;
}

describe('CSV export', () => {
  it('reads back cell for cell, with formula-looking cells defused by an apostrophe', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.string(), { minLength: 3, maxLength: 3 }), { maxLength: 8 }), (rows) => {
      const parsed = parseCsv(toCsv(['a', 'b', 'c'], rows));
      assert.deepEqual(parsed[0], ['a', 'b', 'c']);
      assert.equal(parsed.length, rows.length + 1);
      rows.forEach((row, r) => row.forEach((cell, c) => {
        assert.equal(parsed[r + 1]![c], /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);
      }));
    }));
  });

  it('never starts a cell with a formula character', () => {
    fc.assert(fc.property(fc.string(), (value) => {
      assert.doesNotMatch(csvCell(value).replace(/^"/, ''), /^[=+\-@\t\r]/);
    }));
  });
});

describe('overview charts', () => {
  it('every point lies inside the chart box, one command per present value, and the top is a round number at or above the maximum', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: null }), { maxLength: 80 }), (values) => {
      const chart = lineChart(values);
      const commands = chart.path === '' ? [] : chart.path.split(' ').filter((p) => /^[ML]/.test(p));
      assert.equal(commands.length, values.filter((v) => v !== null).length);
      const numbers = chart.path.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
      for (let i = 0; i < numbers.length; i += 2) {
        assert.ok(numbers[i]! >= 0 && numbers[i]! <= CHART_WIDTH, `x ${numbers[i]}`);
        assert.ok(numbers[i + 1]! >= 0 && numbers[i + 1]! <= CHART_HEIGHT, `y ${numbers[i + 1]}`);
      }
      const max = Math.max(1, ...values.filter((v): v is number => v !== null));
      assert.ok(chart.top >= max);
      assert.match(String(chart.top / 10 ** Math.floor(Math.log10(chart.top))), /^(1|2|5)$/);
    }));
  });

  it('niceCeiling gives 1, 2 or 5 times a power of ten, never below the value', () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (value) => {
      const top = niceCeiling(value);
      assert.ok(top >= value * (1 - 1e-12));
    }));
  });
});

describe('overview traffic', () => {
  const counts = (requests: number, serverErrors: number, buckets: Record<string, number>): Counts => ({ requests, serverErrors, latencySeconds: requests * 0.01, buckets });

  it('routes map to their service by NHS URL prefix', () => {
    assert.equal(serviceOfRoute('/personal-demographics/FHIR/R4/Patient/:id'), 'demographics');
    assert.equal(serviceOfRoute('/messageexchange/:mailbox/inbox'), 'messaging');
    assert.equal(serviceOfRoute('/record-locator/consumer/FHIR/R4/DocumentReference'), 'record-locator');
    assert.equal(serviceOfRoute('/oauth2/token'), 'identity');
    assert.equal(serviceOfRoute('/console/overview'), 'console');
    assert.equal(serviceOfRoute('/_status'), 'platform');
    assert.equal(serviceOfRoute('/auditing'), 'platform');
  });

  it('the 95th percentile is the bound of the first bucket holding 95 % of requests', () => {
    assert.equal(percentile95Ms(counts(100, 0, { '0.01': 90, '0.05': 96, '0.1': 100, '+Inf': 100 })), 50);
    assert.equal(percentile95Ms(counts(0, 0, {})), null);
  });

  it('the hour\'s figures sum every process\'s rows in the window, and its minutes add up to them', () => {
    const row = fc.record({
      minutesAgo: fc.integer({ min: 0, max: 90 }), route: fc.constantFrom('/personal-demographics/FHIR/R4/Patient/:id', '/messageexchange/:mailbox/inbox', '/_status'),
      requests: fc.nat(50), errors: fc.nat(5),
    });
    fc.assert(fc.property(fc.array(row, { maxLength: 200 }), (given) => {
      const now = 1_000_000_000_000 + 37_000;
      const rows: TrafficRow[] = given.map((g) => ({
        minute: (Math.floor(now / 60_000) - g.minutesAgo) * 60_000, route: g.route,
        requests: g.requests + g.errors, serverErrors: g.errors, latencySeconds: 0, buckets: [],
      }));
      const [traffic] = summarise(rows, now, ['demographics']);
      const counted = given.filter((g) => g.minutesAgo < 60 && g.route.startsWith('/personal-demographics'));
      assert.equal(traffic!.requests, counted.reduce((sum, g) => sum + g.requests + g.errors, 0));
      assert.equal(traffic!.serverErrors, counted.reduce((sum, g) => sum + g.errors, 0));
      const oldest = Math.max(0, ...given.filter((g) => g.minutesAgo < 60).map((g) => g.minutesAgo));
      assert.equal(traffic!.minutes.length, Math.min(60, Math.max(2, oldest + 1)));
      assert.equal(traffic!.minutes.reduce((sum, m) => sum + m.requests, 0), traffic!.requests);
    }));
  });
});

describe('console sign-in', () => {
  const staff = (roleCode: string, extra: Record<string, unknown> = {}) => ({
    sub: '555000000009', name: 'A Person', selected_roleid: 'P1',
    nhsid_nrbac_roles: [{ person_roleid: 'P0', org_code: 'A83008', role_code: 'R9902' }, { person_roleid: 'P1', org_code: 'X26', role_code: roleCode }], ...extra,
  });

  it('maps the selected CIS2 role to a console role, and refuses roles without one', () => {
    assert.deepEqual(personFromClaims('iss', staff('S8000:G8000:R9903')), { ok: true, person: { issuer: 'iss', sub: '555000000009', name: 'A Person', role: 'operator', roleProfileId: 'P1', roleCode: 'R9903', odsCode: 'X26' } });
    assert.equal((personFromClaims('iss', staff('R9901')) as { person: { role: string } }).person.role, 'privacy-officer');
    assert.equal((personFromClaims('iss', staff('R9902')) as { person: { role: string } }).person.role, 'administrator');
    assert.deepEqual(personFromClaims('iss', staff('R8000')), { ok: false, problem: 'role R8000 does not give access to the console' });
    assert.deepEqual(personFromClaims('iss', staff('R9902', { selected_roleid: 'P9' })), { ok: false, problem: 'the ID token names no selected role profile' });
  });

  it('an issuer\'s own role claim maps to console roles, first configured match wins; no match is refused', () => {
    const mapping = { claim: 'groups', roles: [['spine-admins', 'administrator'], ['spine-operators', 'operator']] as const };
    assert.deepEqual(personFromClaims('iss', { sub: 'u1', name: 'U One', groups: ['staff', 'spine-operators', 'spine-admins'] }, mapping),
      { ok: true, person: { issuer: 'iss', sub: 'u1', name: 'U One', role: 'administrator' } });
    assert.equal((personFromClaims('iss', { sub: 'u1', groups: 'spine-operators' }, mapping) as { person: { role: string } }).person.role, 'operator');
    assert.deepEqual(personFromClaims('iss', { sub: 'u1', groups: ['staff'] }, mapping), { ok: false, problem: 'no value of the ID token\'s \'groups\' claim gives access to the console' });
    fc.assert(fc.property(fc.jsonValue(), (groups) => {
      const checked = personFromClaims('iss', { sub: 'u1', groups }, mapping);
      const values = typeof groups === 'string' ? [groups] : Array.isArray(groups) ? groups : [];
      assert.equal(checked.ok, values.includes('spine-admins') || values.includes('spine-operators'));
    }));
  });

  it('a patient needs a valid NHS number at proofing level P9', () => {
    assert.equal((personFromClaims('iss', { sub: 'p', nhs_number: '9000000009', identity_proofing_level: 'P9' }) as { person: { role: string } }).person.role, 'patient');
    assert.equal(personFromClaims('iss', { sub: 'p', nhs_number: '9000000008', identity_proofing_level: 'P9' }).ok, false);
    assert.equal(personFromClaims('iss', { sub: 'p', nhs_number: '9000000009', identity_proofing_level: 'P5' }).ok, false);
  });

  it('whatever the claims, the answer is a console person or a reason, never a throw', () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('sub', 'name', 'nhs_number', 'identity_proofing_level', 'selected_roleid', 'nhsid_nrbac_roles'), fc.jsonValue()), (claims) => {
      const result = personFromClaims('iss', claims);
      if (result.ok) assert.ok((CONSOLE_ROLES as readonly string[]).includes(result.person.role));
      else assert.equal(typeof result.problem, 'string');
    }));
  });

  it('only the console\'s own paths are followed back after sign-in', () => {
    assert.equal(safeReturnPath('/console/audit?nhsNumber=9000000009'), '/console/audit?nhsNumber=9000000009');
    for (const bad of ['//evil.example/console/', 'https://evil.example/', '/console//evil', '/consoleX', '/console/\\evil', undefined, 42]) assert.equal(safeReturnPath(bad), '/console');
    fc.assert(fc.property(fc.string(), (raw) => {
      const path = safeReturnPath(raw);
      assert.ok(path === '/console' || (path.startsWith('/console/') && !path.includes('//')));
    }));
  });

  it('every page is open to at least one role, and mayView agrees with the page table', () => {
    for (const page of PAGES) {
      assert.ok(page.roles.length > 0);
      for (const role of CONSOLE_ROLES) assert.equal(mayView(role, page.id), page.roles.includes(role));
    }
  });
});

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

describe('audit search form', () => {
  it('empty fields are no filter; "to" includes its whole day; the organisation is upper-cased', () => {
    assert.deepEqual(auditSearchOf({ nhsNumber: '', user: ' ', organisation: 'x26', action: 'patient.read', from: '2026-01-02', to: '2026-01-03' }, 10), {
      nhsNumber: undefined, agent: undefined, odsCode: 'X26', action: 'patient.read', limit: 10,
      recorded: [{ op: 'atOrAfter', at: new Date('2026-01-02T00:00:00Z') }, { op: 'before', at: new Date('2026-01-04T00:00:00Z') }],
    });
  });

  it('a day field is midnight UTC of a day that exists (years 0001-9999), else the form\'s 400 naming the field, never an Invalid Date', () => {
    const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
    fc.assert(fc.property(digits(4), digits(2), digits(2), fc.integer({ min: 0, max: 1 }), (year, month, day, later) => {
      const text = `${year}-${month}-${day}`;
      let at: Date | undefined;
      try {
        at = formDay('from', text, later);
      } catch (err) {
        assert.ok(err instanceof RequestValidationError && err.failure.path === 'from', String(err));
      }
      const exists = year !== '0000' && Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1
        && Number(day) <= new Date(Date.UTC(2000, Number(month), 0)).getUTCDate() - (Number(month) === 2 && Number(day) === 29 && !leap(Number(year)) ? 1 : 0);
      assert.equal(at !== undefined, exists, text);
      if (at) assert.equal(new Date(at.getTime() - later * 86_400_000).toISOString().slice(0, 10), text.padStart(10, '0'));
    }), { numRuns: 2000 });
  });
});
