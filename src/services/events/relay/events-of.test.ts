import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { possibleCodes, routableEvent, type EventSources } from './events-of.js';
import { codesOf } from './fan-out.js';
import { PUBLISHED_MNS_EVENT, PUBLISHED_NEMS_EVENT, SPINE_EVENT_TYPES } from '../domain/event-types.js';
import type { OutboxRow } from '../store/outbox-reads.js';

/**
 * A round routes only the rows whose `possibleCodes` some subscription names: were a routed event
 * to carry a code outside them, its subscribers would silently miss it. Every kind of row, with
 * patients active, born lately or not, with and without a GP and an address.
 */
describe('the codes an outbox row may be heard by', () => {
  const sourcesFor = (patient: Record<string, unknown>): EventSources => ({
    demographics: {
      currentRecord: async () => ({ status: 'active', restricted: false, patient }),
      recordFlags: async () => ({ status: 'active', restricted: false }),
    } as unknown as EventSources['demographics'],
    directory: {
      getOrganisation: async () => ({ parentOdsCode: 'Y56' }),
      areasOfPostcode: async () => ({ 'icb-sub-location': '15E', 'local-authority': 'E08000025' }),
      getMailbox: async () => ({ odsCode: 'X26' }),
    } as unknown as EventSources['directory'],
    baseUrl: 'https://spine.example',
    spineAsid: '999999999999',
  });
  const outboxTypes = [
    ...SPINE_EVENT_TYPES.map((t) => t.outboxType.replace('*', 'dispensed')), 'eps-prescription-claimed', 'something-else',
    PUBLISHED_NEMS_EVENT, PUBLISHED_MNS_EVENT,
  ];
  const row = fc.record({
    id: fc.integer({ min: 1, max: 1e6 }),
    eventType: fc.constantFrom(...outboxTypes),
    source: fc.constantFrom('demographics', 'record-locator', 'prescriptions', 'messaging', 'events'),
    nhsNumber: fc.option(fc.constant('9000000009'), { nil: undefined }),
    code: fc.constantFrom('pds-record-change-1', 'vaccinations-1', 'openspine-prescription-status-change-1'),
    createdAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
  }).map(({ code, ...r }): OutboxRow => ({
    ...r,
    payload: r.eventType === PUBLISHED_NEMS_EVENT ? { eventId: 'e1', code, xml: '<Bundle/>', nhsNumber: r.nhsNumber }
      : r.eventType === PUBLISHED_MNS_EVENT ? { event: { specversion: '1.0', id: 'e1', source: 's', type: code, time: r.createdAt.toISOString(), subject: r.nhsNumber } }
        : { shortFormId: 'A0548B-A99968-451485', status: 'dispensed', id: 'Y05868-1', custodian: 'Y05868', type: 't', sender: 'X26OT001' },
  }));
  const patient = fc.record({
    id: fc.constant('9000000009'),
    birthDate: fc.constantFrom('1950-05-01', '2029-12-20', '2025-06-01'),
    generalPractitioner: fc.option(fc.constant([{ identifier: { value: 'Y12345' } }]), { nil: undefined }),
    address: fc.option(fc.constant([{ use: 'home', postalCode: 'LS1 6AE' }]), { nil: undefined }),
  });

  it('every code of the routed event is among them', async () => {
    await fc.assert(fc.asyncProperty(row, patient, async (r, p) => {
      const event = await routableEvent(r, sourcesFor(p));
      const possible = possibleCodes(r);
      for (const code of event ? codesOf(event) : []) assert.ok(possible.includes(code), `${code} of ${r.eventType} is not in ${JSON.stringify(possible)}`);
    }), { numRuns: 500 });
  });

  it('the Spine\'s own rows name their codes; a row of no known kind has none', () => {
    const at = new Date();
    const of = (eventType: string) => possibleCodes({ id: 1, eventType, source: 'x', payload: {}, createdAt: at });
    assert.deepEqual(of('pds-change-of-gp'), ['pds-change-of-gp-1', 'pds-change-of-gp-2']);
    assert.deepEqual(of('eps-prescription-released'), ['openspine-prescription-status-change-1']);
    assert.deepEqual(of('something-else'), []);
  });
});
