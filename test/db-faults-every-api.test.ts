import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSpineOnOwnPostgres, untilHealthy, type SpineOnOwnPostgres } from './support/spine.js';
import { createAppAndToken, userToken } from './support/identity.js';
import { SyntheticNhsNumbers } from '../src/services/demographics/api.js';
import { nemsSubscriptionXml } from './events/support.js';

// With its database gone, every API answers 503 in its own error shape, at once, with Retry-After
// and no internal address; PDS, MESH, OAuth2 (platform-db-faults), NRL and EPS (their db-faults)
// are checked beside their own tests, the rest here. A streamed answer the database fails midway
// is cut off, never ended as if it were whole.

interface Call {
  name: string;
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The API's own 503: its shape and code. */
  shape(body: string): void;
}

/** A FHIR R4 API's 503 (the platform's, as audit, SDS, export and the admin APIs answer it). */
function r4Unavailable(body: string) {
  const outcome = JSON.parse(body);
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.equal(outcome.issue[0].code, 'transient');
  assert.equal(outcome.issue[0].details.coding[0].code, 'SERVICE_UNAVAILABLE');
}

/** NDOP and NEMS (STU3): their code lists have no SERVICE_UNAVAILABLE, so INTERNAL_SERVER_ERROR, `transient`. */
function stu3Unavailable(body: string) {
  const outcome = JSON.parse(body);
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.equal(outcome.issue[0].code, 'transient');
  assert.equal(outcome.issue[0].details.coding[0].system, 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1');
  assert.equal(outcome.issue[0].details.coding[0].code, 'INTERNAL_SERVER_ERROR');
}

describe('every API with its database gone', () => {
  let own: SpineOnOwnPostgres;
  let app: { token: string; apiKey: string };
  let privacyOfficer: string;

  before(async () => {
    own = await startSpineOnOwnPostgres({ env: { OPENSPINE_DB_CONNECT_TIMEOUT_MS: '1000', OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '1500' } });
    app = await createAppAndToken(own.spine);
    privacyOfficer = (await userToken(own.spine, { roleCode: 'R9901' })).token;
  });
  after(async () => {
    await own?.close();
  });

  /** Runs `during` with PostgreSQL killed and held down (its supervisor stopped), then lets it come back. */
  async function withDatabaseDown(during: () => Promise<void>) {
    const supervisor = own.postgres.supervisorPid();
    process.kill(supervisor, 'SIGSTOP');
    try {
      process.kill(own.postgres.postmasterPid(), 'SIGKILL');
      await sleep(300);
      await during();
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await backUp();
  }

  /** PostgreSQL restarted by its supervisor, and the Spine serving from it again. */
  async function backUp() {
    await own.postgres.waitUntilUp(20_000);
    await untilHealthy(own.spine, 20_000);
  }

  function assertNoAddresses(body: string) {
    const port = new URL(own.postgres.server.connectionString).port;
    assert.ok(!body.includes('127.0.0.1') && !body.includes(port) && !/postgres(ql)?:\/\//.test(body), `internal address in ${body}`);
  }

  it('consent, SDS, audit, NEMS, MNS, export and the admin APIs answer 503 in their own shapes, fast', { timeout: 60_000 }, async () => {
    const bearer = (token = app.token) => ({ authorization: `Bearer ${token}`, 'x-request-id': randomUUID(), 'x-correlation-id': randomUUID() });
    const calls: Call[] = [
      { name: 'NDOP consent search', path: '/consent/STU3/Consent?patient=https://demographics.spineservices.nhs.uk/STU3/Patient/9000000009', headers: bearer(), shape: stu3Unavailable },
      { name: 'bulk opt-out check', method: 'POST', path: '/consent/check', headers: { ...bearer(), 'content-type': 'text/plain' }, body: '9000000009\n', shape: r4Unavailable },
      { name: 'audit search', path: '/audit/FHIR/R4/AuditEvent?patient=9000000009', headers: bearer(privacyOfficer), shape: r4Unavailable },
      {
        name: 'SDS device search (its apikey looked up)',
        path: '/spine-directory/FHIR/R4/Device?organization=https://fhir.nhs.uk/Id/ods-organization-code|YES&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId|urn:nhs:names:services:psis:REPC_IN150016UK05',
        headers: { apikey: app.apiKey, 'x-correlation-id': randomUUID() },
        shape: r4Unavailable,
      },
      {
        name: 'NEMS subscribe (XML in, XML out)', method: 'POST', path: '/nems/STU3/Subscription', headers: { ...bearer(), 'content-type': 'application/fhir+xml' }, body: nemsSubscriptionXml('/Bundle?type=message&Patient.identifier=http://fhir.nhs.net/Id/nhs-number|9000000009&MessageHeader.event=pds-death-notification-1'),
        shape: (body) => {
          assert.match(body, /^<\?xml[^>]*>\s*<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">/);
          assert.match(body, /<code value="transient"\/>/);
          assert.match(body, /<code value="INTERNAL_SERVER_ERROR"\/>/);
        },
      },
      { name: 'MNS subscriptions (its {errors} shape)', path: '/multicast-notification-service/subscriptions', headers: bearer(), shape: (body) => assert.equal(typeof JSON.parse(body).errors, 'string') },
      { name: 'bulk export', path: '/export/FHIR/R4/Patient/$export', headers: { ...bearer(), prefer: 'respond-async' }, shape: r4Unavailable },
      { name: 'directory admin', path: '/admin/directory/organisations', headers: bearer(), shape: r4Unavailable },
      { name: 'identity admin', path: '/admin/identity/applications', headers: bearer(), shape: r4Unavailable },
      { name: 'events admin', path: '/admin/events/deliveries', headers: bearer(), shape: r4Unavailable },
    ];
    await withDatabaseDown(async () => {
      for (const call of calls) {
        const started = Date.now();
        const response = await fetch(`${own.spine.url}${call.path}`, { method: call.method ?? 'GET', headers: call.headers, body: call.body, signal: AbortSignal.timeout(15_000) });
        const body = await response.text();
        const ms = Date.now() - started;
        assert.equal(response.status, 503, `${call.name}: ${body}`);
        assert.ok(Number(response.headers.get('retry-after')) >= 1, `${call.name}: Retry-After ${response.headers.get('retry-after')}`);
        assert.ok(ms < 1_000, `${call.name}: a refused connection answers fast, not in ${ms} ms`);
        call.shape(body);
        assertNoAddresses(body);
      }
    });
  });

  it('a bulk opt-out check the database fails midway is cut off: the client can never take it for the whole answer', { timeout: 60_000 }, async () => {
    const numbers = new SyntheticNhsNumbers();
    const list = `${Array.from({ length: 400_000 }, () => numbers.next()).join('\n')}\n`;
    const response = await fetch(`${own.spine.url}/consent/check`, {
      method: 'POST', headers: { authorization: `Bearer ${app.token}`, 'content-type': 'text/plain' }, body: list,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let received = 0;
    let ending: 'whole' | 'cut off' | undefined;
    let killed = false;
    const supervisor = own.postgres.supervisorPid();
    try {
      while (!ending) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            ending = 'whole';
          } else {
            received += value.length;
            if (!killed) {
              // Once the answer has begun, the database goes (and stays down until the answer ends).
              killed = true;
              process.kill(supervisor, 'SIGSTOP');
              process.kill(own.postgres.postmasterPid(), 'SIGKILL');
            }
          }
        } catch {
          ending = 'cut off';
        }
      }
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    await backUp();
    // Every one of the 400,000 has no opt-out: a whole answer would be the whole list again.
    assert.equal(ending, 'cut off', `the answer ended as if whole after ${received} of ${list.length} bytes`);
    assert.ok(received < list.length, `${received} bytes`);
  });
});
