import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { actionCodes, toAuditEvent, SYSTEMS } from '../../src/services/audit/audit-event.js';
import { toAuditRecord, type AuditRecord } from '../../src/platform/audit/chain.js';

const record = (overrides: Partial<Parameters<typeof toAuditRecord>[0]> = {}): AuditRecord => ({
  seq: 42,
  ...toAuditRecord({ requestId: 'r-1', action: 'patient.read', nhsNumbers: ['9000000009'], outcome: 'success', ...overrides },
    new Date('2026-01-02T03:04:05.006Z')),
});

describe('audit record → FHIR AuditEvent', () => {
  it('maps verbs to C/R/U/D/E and the RESTful interaction', () => {
    assert.deepEqual(actionCodes('patient.read'), { code: 'R', interaction: 'read' });
    assert.deepEqual(actionCodes('patient.search'), { code: 'E', interaction: 'search-type' });
    assert.deepEqual(actionCodes('patient.update'), { code: 'U', interaction: 'update' });
    assert.deepEqual(actionCodes('patient.create'), { code: 'C', interaction: 'create' });
    assert.deepEqual(actionCodes('message.send'), { code: 'C', interaction: 'create' });
    assert.deepEqual(actionCodes('pointer.delete'), { code: 'D', interaction: 'delete' });
    assert.deepEqual(actionCodes('token.exchange'), { code: 'E' });
    // The verb is the last dotted part: 'reader.list' is a search, not a read.
    assert.equal(actionCodes('reader.list').code, 'E');
  });

  it('outcomes are 0 success, 4 denied, 8 failure', () => {
    assert.equal(toAuditEvent(record()).outcome, '0');
    assert.equal(toAuditEvent(record({ outcome: 'denied' })).outcome, '4');
    assert.equal(toAuditEvent(record({ outcome: 'failure' })).outcome, '8');
  });

  it('an application-restricted access has the application as requestor, with its network address', () => {
    const event = toAuditEvent(record({ appId: 'app-9', appName: 'GP system', clientAddress: '10.0.0.7', odsCode: 'A83008' }));
    assert.deepEqual(event.agent[0], {
      type: { coding: [{ system: SYSTEMS.dicom, code: '110150', display: 'Application' }] },
      who: { type: 'Device', identifier: { system: SYSTEMS.applicationId, value: 'app-9' }, display: 'GP system' },
      requestor: true,
      network: { address: '10.0.0.7', type: '2' },
    });
    assert.equal(event.agent[1]!.who.identifier!.value, 'A83008');
  });

  it('work with no caller still has an agent (FHIR requires one), and detail without a resource sits on the request', () => {
    const event = toAuditEvent(record({ detail: { count: 3, q: 'x' } }));
    assert.deepEqual(event.agent, [{ type: { coding: [{ system: SYSTEMS.dicom, code: '110150', display: 'Application' }] }, who: { display: 'OpenSpine' }, requestor: true }]);
    const request = event.entity.find((e) => e.name === 'X-Request-ID')!;
    assert.deepEqual(request.detail, [{ type: 'count', valueString: '3' }, { type: 'q', valueString: 'x' }]);
    assert.equal(event.id, '42');
    assert.equal(event.recorded, '2026-01-02T03:04:05.006Z');
  });

  it('every record maps to an AuditEvent with one patient entity per NHS number and at least one agent', () => {
    fc.assert(fc.property(
      fc.array(fc.stringMatching(/^[0-9]{10}$/), { maxLength: 4 }), fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }),
      (nhsNumbers, userId, appId) => {
        const event = toAuditEvent(record({ nhsNumbers, userId, appId }));
        assert.ok(event.agent.length >= 1);
        assert.ok(event.agent.some((a) => a.requestor));
        const patients = event.entity.filter((e) => e.what.type === 'Patient').map((e) => e.what.identifier!.value);
        assert.deepEqual(patients, nhsNumbers);
      },
    ));
  });
});
