import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { DEMO_IDENTITIES, consoleLogin, prescriptionAndPointerFor, type ConsoleLogin } from '../support/console.js';
import { literally } from '../support/literally.js';
import { PAGES, CONSOLE_ROLES, type ConsoleRole } from '../../src/services/console/pages.js';
import { MB1, MB2, sendMessage } from '../messaging/support/mesh-client.js';
import { createAppAndToken } from '../support/identity.js';
import { call, consentFor } from '../consent/support.js';
import { testPopulation } from '../demographics/support/population.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { asTamperingSuperuser } from '../audit/support.js';
import { fixedClock } from '../../src/platform/clock.js';
import { WHOLE_CHECK_EVERY_MS } from '../../src/services/console/routes/audit.js';

const pagePath = (path: string) => (path === '/console/who-looked' ? `${path}?nhsNumber=9000000009` : path);
const heading = (html: string) => /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim();

describe('the operations console over HTTP', () => {
  let spine: TestSpine;
  const sessions = {} as Record<ConsoleRole, ConsoleLogin>;
  before(async () => {
    spine = await startTestSpine();
    for (const role of CONSOLE_ROLES) sessions[role] = await consoleLogin(spine.url, DEMO_IDENTITIES[role]);
  });
  after(async () => { await spine.close(); });

  it('each page answers 200 to the roles that may see it and 403 to the others, and links only the allowed ones', async () => {
    for (const role of CONSOLE_ROLES) {
      for (const page of PAGES) {
        const response = await sessions[role].get(pagePath(page.path));
        const html = await response.text();
        assert.equal(response.status, page.roles.includes(role) ? 200 : 403, `${role} ${page.path}`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        if (response.status === 403) assert.equal(heading(html), 'You cannot see this page');
        for (const other of PAGES) {
          assert.equal(html.includes(`href="${other.path}"`), other.roles.includes(role), `${role} on ${page.path}: link to ${other.path}`);
        }
      }
    }
  });

  it('without a session a page redirects to sign-in and a form post is refused 401', async () => {
    const page = await fetch(`${spine.url}/console/audit?nhsNumber=9000000009`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/console/login?returnTo=%2Fconsole%2Faudit%3FnhsNumber%3D9000000009');
    const post = await fetch(`${spine.url}/console/patients/read`, { method: 'POST', body: new URLSearchParams({ nhsNumber: '9000000009', reason: 'Patient request' }) });
    assert.equal(post.status, 401);
  });

  it('the session cookie is HttpOnly, SameSite=Strict and scoped to /console; pages carry a strict CSP with a fresh nonce', async () => {
    const start = await fetch(`${spine.url}/console/auth/start`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!, spine.url);
    const chosen = new URLSearchParams(authorize.search);
    chosen.set('identity', DEMO_IDENTITIES.operator);
    const signedIn = await fetch(`${spine.url}${authorize.pathname}`, { method: 'POST', body: chosen, redirect: 'manual' });
    const callback = await fetch(signedIn.headers.get('location')!, { headers: { cookie: start.headers.getSetCookie()[0]!.split(';')[0]! }, redirect: 'manual' });
    const cookie = callback.headers.getSetCookie().find((c) => c.startsWith('openspine_console='))!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\/console/);
    assert.doesNotMatch(cookie, /; Secure/, 'not over plain HTTP');
    const [one, two] = await Promise.all([sessions.operator.get('/console/overview'), sessions.operator.get('/console/overview')]);
    const csp = one.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.notEqual(csp, two.headers.get('content-security-policy'));
    assert.equal(one.headers.get('cache-control'), 'no-store');
  });

  it('a clinician role does not open the console, and the refused sign-in is audited', async () => {
    await assert.rejects(consoleLogin(spine.url, DEMO_IDENTITIES.clinician), /callback answered 400/);
    const csv = await (await sessions.administrator.get('/console/audit.csv?action=console.login')).text();
    assert.match(csv, /console\.login,failure,/);
  });

  it('a callback whose state is not the one this browser started with signs nobody in', async () => {
    const start = await fetch(`${spine.url}/console/auth/start`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!, spine.url);
    const chosen = new URLSearchParams(authorize.search);
    chosen.set('identity', DEMO_IDENTITIES.administrator);
    const signedIn = await fetch(`${spine.url}${authorize.pathname}`, { method: 'POST', body: chosen, redirect: 'manual' });
    const stolen = await fetch(signedIn.headers.get('location')!, { redirect: 'manual' });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.headers.getSetCookie().some((c) => c.startsWith('openspine_console=') && !c.startsWith('openspine_console=;')), false);
  });

  it('a form posted without the session CSRF token is refused 403 and does nothing', async () => {
    const before = await (await sessions.administrator.get('/console/audit.csv?action=patient.read')).text();
    const refused = await sessions.operator.post('/console/patients/read', { _csrf: 'not-the-token', nhsNumber: '9000000009', reason: 'Patient request' });
    assert.equal(refused.status, 403);
    const after = await (await sessions.administrator.get('/console/audit.csv?action=patient.read')).text();
    assert.equal(after, before);
  });

  it('a PDS read from the look-up page shows the patient and is audited with its reason, and the patient sees it in plain words', async () => {
    const read = await sessions.operator.post('/console/patients/read', { _csrf: await sessions.operator.csrf(), nhsNumber: '9000000009', reason: 'Service desk enquiry' });
    assert.equal(read.status, 200);
    assert.match(await read.text(), /Jane Smith/);
    const csv = await (await sessions['privacy-officer'].get('/console/audit.csv?nhsNumber=9000000009&action=patient.read')).text();
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0], 'seq,recordedAt,action,outcome,resource,nhsNumbers,userId,roleCode,odsCode,appName,requestId,hash');
    assert.match(lines[1]!, /,patient\.read,success,Patient\/9000000009,9000000009,555000000005,R9903,X26,OpenSpine console,/);
    const mine = await (await sessions.patient.get('/console/who-looked')).text();
    assert.match(mine, /a <strong>Spine Operator<\/strong> at <strong>[^<]*\(X26\)<\/strong> looked at the record, using OpenSpine console/);
  });

  it('a restricted patient looked up, by NHS number or by search, shows no address, phone or GP practice (PDS withholds them), and is tagged restricted', async () => {
    const restricted = testPopulation(50, 981_000_000)[49]!;
    assert.equal(restricted.meta?.security?.[0]?.code, 'R');
    await bulkInsertPatients(spine.ctx.db, { patients: [restricted] });
    const gp = restricted.generalPractitioner![0]!.identifier!.value!;
    const usual = restricted.name!.find((n) => n.use === 'usual')!;
    const read = await (await sessions.operator.post('/console/patients/read', { _csrf: await sessions.operator.csrf(), nhsNumber: restricted.id!, reason: 'Service desk enquiry' })).text();
    const found = await (await sessions.operator.post('/console/patients/search', {
      _csrf: await sessions.operator.csrf(), family: usual.family!, birthdate: restricted.birthDate!, reason: 'Service desk enquiry' })).text();
    for (const html of [read, found]) {
      assert.match(html, new RegExp(restricted.id!));
      assert.match(html, /Restricted record/);
      assert.doesNotMatch(html, new RegExp(`GP practice|${gp}`));
      assert.doesNotMatch(html, new RegExp(`${restricted.address![0]!.line![0]}|${restricted.telecom![0]!.value}`));
    }
  });

  it('a patient sees only their own record: another NHS number in the query is ignored', async () => {
    const html = await (await sessions.patient.get('/console/who-looked?nhsNumber=9000000017')).text();
    assert.match(html, /Every time your record was looked at or changed/);
    assert.doesNotMatch(html, /9000000017/);
  });

  it('an invalid field is refused 400 naming it, never a 500', async () => {
    for (const path of ['/console/audit?nhsNumber=12x', '/console/messages?state=flying', '/console/audit?user=%F0%9F%98%80', '/console/audit?from=yesterday', '/console/audit?from=2026-13-45', '/console/audit?from=0000-01-01', '/console/audit?to=2026-02-30', '/console/audit.csv?from=2026-00-10', '/console/messages?from=2026-13-01', '/console/messages?to=2026-04-31']) {
      const response = await sessions.administrator.get(path);
      assert.equal(response.status, 400, path);
      assert.match(await response.text(), /Check the field/);
    }
  });

  it('prescriptions and pointers: made through the EPS and NRL APIs, shown to an operator who gives a reason (audited with it) and to the patient themself, refused to an administrator', async () => {
    const { shortFormId, pointerId } = await prescriptionAndPointerFor(spine, '9000000009');
    const shown = await sessions.operator.post('/console/records', { _csrf: await sessions.operator.csrf(), nhsNumber: '9000000009', reason: 'Patient request' });
    assert.equal(shown.status, 200);
    const html = await shown.text();
    assert.match(html, new RegExp(`${literally(shortFormId)}[\\s\\S]*Amoxicillin 250mg capsules[\\s\\S]*To be Dispensed[\\s\\S]*A83008`));
    assert.match(html, new RegExp(`Mental health crisis plan[\\s\\S]*${literally(pointerId)}[\\s\\S]*ANGY1`));
    const csv = await (await sessions['privacy-officer'].get('/console/audit.csv?nhsNumber=9000000009&action=console.records.read')).text();
    assert.match(csv, /,console\.records\.read,success,Patient\/9000000009,9000000009,555000000005,R9903,X26,OpenSpine console,/);
    const officer = await sessions['privacy-officer'].post('/console/records', { _csrf: await sessions['privacy-officer'].csrf(), nhsNumber: '9000000009', reason: 'Data quality investigation' });
    assert.match(await officer.text(), new RegExp(literally(shortFormId)));
    const noReason = await sessions.operator.post('/console/records', { _csrf: await sessions.operator.csrf(), nhsNumber: '9000000009' });
    assert.equal(noReason.status, 400);
    assert.match(await noReason.text(), /Check the field &#39;reason&#39;|Check the field 'reason'/);
    const own = await (await sessions.patient.get('/console/records')).text();
    assert.match(own, new RegExp(`${literally(shortFormId)}[\\s\\S]*${literally(pointerId)}`));
    // The patient's form post names another patient: they still see only their own record.
    const other = await sessions.patient.post('/console/records', { _csrf: await sessions.patient.csrf(), nhsNumber: '9000000017', reason: 'Patient request' });
    assert.doesNotMatch(await other.text(), /9000000017/);
    assert.equal((await sessions.administrator.post('/console/records', { _csrf: await sessions.administrator.csrf(), nhsNumber: '9000000009', reason: 'Patient request' })).status, 403);
    const words = await (await sessions.patient.get('/console/who-looked')).text();
    assert.match(words, /a <strong>Spine Operator<\/strong> at <strong>[^<]*\(X26\)<\/strong> looked at the patient&#39;s prescriptions and where their records are held/);
  });

  it('the national data opt-out, set and withdrawn through the Consent API, is shown to the patient and to a privacy officer with its history', async () => {
    const optOutSection = (html: string) => html.slice(html.indexOf('id="opt-out"'));
    assert.match(optOutSection(await (await sessions.patient.get('/console/records')).text()), /Your national data opt-out[\s\S]*Not opted out/);
    const { token } = await createAppAndToken(spine, { activities: ['consent:write', 'consent:read'], name: 'NHS.UK opt-out service' });
    const created = await call(spine, 'POST', '/consent/STU3/Consent', token, consentFor('9000000009'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const own = optOutSection(await (await sessions.patient.get('/console/records')).text());
    assert.match(own, /Opted out\s*<\/strong>[\s\S]*You have chosen that your confidential patient information is not used/);
    assert.match(own, /Opted out\s*<\/td>[\s\S]*Online Process[\s\S]*NHS\.UK opt-out service/);

    const id = created.headers.get('location')!.split('/').at(-1)!;
    const withdrawn = await call(spine, 'PUT', `/consent/STU3/Consent/${id}`, token, consentFor('9000000009', { id, status: 'inactive' }));
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
    const officer = await sessions['privacy-officer'].post('/console/records', { _csrf: await sessions['privacy-officer'].csrf(), nhsNumber: '9000000009', reason: 'Patient request' });
    const section = optOutSection(await officer.text());
    assert.match(section, /National data opt-out[\s\S]*Not opted out/);
    // Newest first: the withdrawal, then the opt-out.
    assert.match(section, /Opt-out withdrawn[\s\S]*Opted out\s*<\/td>/);
    const { rows: [audited] } = await spine.ctx.db.query(
      `SELECT detail FROM audit.events WHERE action = 'console.records.read' AND role_code = 'R9901' ORDER BY seq DESC LIMIT 1`);
    assert.equal(audited.detail.optOutVersions, 2, 'the look-up is audited with what it showed');
  });

  it('a message sent through the MESH API is found by mailbox and its history shows acceptance', async () => {
    const messageId = await sendMessage(spine.url, MB1, MB2, 'hello from the console test');
    const found = await (await sessions.operator.get(`/console/messages?mailbox=${MB2}&state=accepted`)).text();
    assert.match(found, new RegExp(`href="/console/messages/${messageId}"`));
    const history = await (await sessions.operator.get(`/console/messages/${messageId}`)).text();
    assert.match(history, /uploaded by X26ABC1/);
    assert.match(history, /: accepted/);
  });

  it('the audit page reports the chain intact', async () => {
    const html = await (await sessions['privacy-officer'].get('/console/audit?action=patient.read')).text();
    assert.match(html, /Intact<\/strong>|Intact/);
    assert.match(html, /records checked, none altered or removed/);
  });

  it('sign-out ends the session', async () => {
    const session = await consoleLogin(spine.url, DEMO_IDENTITIES.operator);
    const out = await session.post('/console/logout', { _csrf: await session.csrf() });
    assert.equal(out.status, 303);
    assert.equal((await session.get('/console/overview')).status, 303);
  });
});

describe('the console behind TLS', () => {
  it('marks its cookies Secure when its public address is https', async () => {
    const spine = await startTestSpine({ flags: { publicBaseUrl: 'https://spine.example', services: 'identity,directory,audit,console' } });
    try {
      const start = await fetch(`${spine.url}/console/auth/start`, { redirect: 'manual' });
      assert.match(start.headers.getSetCookie()[0]!, /^openspine_console_login=[^;]+;.*; Secure/);
      const session = await consoleLogin(spine.url, DEMO_IDENTITIES['privacy-officer']);
      assert.ok(session.cookie.startsWith('openspine_console='));
    } finally {
      await spine.close();
    }
  });
});

describe('the audit page\'s chain check', () => {
  it('checks the whole chain on the first view, then the records added since, and finds one altered among them', async () => {
    const spine = await startTestSpine({ flags: { services: 'identity,directory,audit,console' } });
    try {
      const officer = await consoleLogin(spine.url, DEMO_IDENTITIES['privacy-officer']);
      const checked = async () => {
        const html = await (await officer.get('/console/audit')).text();
        return { html, records: Number(/(\d+) records checked, none altered or removed/.exec(html)?.[1] ?? NaN) };
      };
      const first = await checked();
      const newest = async () => (await spine.ctx.db.query<{ seq: number }>('SELECT max(seq)::int AS seq FROM audit.events')).rows[0]!.seq;
      assert.ok(first.records > 0 && first.records <= await newest(), `${first.records} checked`);
      // Each view is audited: the next one finds those records too, and counts every record since the genesis.
      const second = await checked();
      assert.ok(second.records > first.records, `${second.records} after ${first.records}`);
      // A record written after the last check (the second view's own, once it is in), altered: the next view finds it.
      while (await newest() <= second.records) await new Promise((r) => setTimeout(r, 50));
      const altered = await newest();
      await asTamperingSuperuser(spine.ctx.db, (q) => q(`UPDATE audit.events SET outcome = 'failure' WHERE seq = $1`, [altered]));
      const broken = new RegExp(`Broken\\s*</strong>\\s*record ${altered} does not match the chain`);
      assert.match((await checked()).html, broken);
      assert.match((await checked()).html, broken, 'and says so again');
    } finally {
      await spine.close();
    }
  });

  it('checks the whole chain again once the last whole check is ten minutes old, and finds a record altered after it was checked', async () => {
    const clock = fixedClock(new Date());
    const spine = await startTestSpine({ clock, flags: { services: 'identity,directory,audit,console' } });
    try {
      const officer = await consoleLogin(spine.url, DEMO_IDENTITIES['privacy-officer']);
      const view = async () => (await officer.get('/console/audit')).text();
      const firstAt = clock.now();
      assert.match(await view(), new RegExp(`whole trail was last checked at ${firstAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`));
      // The first record, checked by that view, altered: a view checks only the records added since.
      await asTamperingSuperuser(spine.ctx.db, (q) => q(`UPDATE audit.events SET outcome = 'denied' WHERE seq = 1`));
      clock.set(new Date(firstAt.getTime() + WHOLE_CHECK_EVERY_MS - 1000));
      assert.match(await view(), /Intact/, 'within ten minutes of the whole check, the altered record is not read again');
      clock.set(new Date(firstAt.getTime() + WHOLE_CHECK_EVERY_MS));
      // That view starts the whole check in the background; a later view shows what it found.
      const broken = /Broken\s*<\/strong>\s*record 1 does not match the chain/;
      let html = await view();
      for (let n = 0; n < 100 && !broken.test(html); n++) {
        await new Promise((r) => setTimeout(r, 100));
        html = await view();
      }
      assert.match(html, broken);
      assert.match(await view(), broken, 'and every view after it says so, though the records added since are intact');
    } finally {
      await spine.close();
    }
  });
});
