import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userPrincipal } from './principal.js';
import { ROLE_ACTIVITIES, SYSTEM_ACTIVITIES } from './roles.js';
import type { Application } from './store/applications.js';
import type { SelectedRole } from './subject-token.js';

const app = (activities: Application['activities']): Application => ({
  appId: 'app-1', apiKey: 'key-1', name: 'A system', odsCode: 'X26', jwks: { keys: [] }, activities, rateLimit: 10, createdAt: '2026-01-01T00:00:00Z', disabled: false, cis2ClientId: 'key-1',
});
const gp: SelectedRole = { userId: '555000000001', role: { person_roleid: '555000000101', org_code: 'A83008', role_code: 'S8000:G8000:R8000' } };

describe('userPrincipal: what a user may do through an application', () => {
  it("a system's own activities (a formal death notification) reach its users, whatever their role; no role grants them", () => {
    for (const activities of Object.values(ROLE_ACTIVITIES)) {
      assert.ok(!activities.some((a) => SYSTEM_ACTIVITIES.includes(a)), 'a role granting a system activity');
    }
    const registrar = userPrincipal(app(['patient:read', 'patient:write', 'patient:formal-death']), gp);
    assert.deepEqual(registrar.activities, ['patient:read', 'patient:write', 'patient:formal-death']);
    const surgery = userPrincipal(app(['patient:read', 'patient:write']), gp);
    assert.deepEqual(surgery.activities, ['patient:read', 'patient:write']);
  });

  it('keeps what the application is registered for beside what the user may do, so a refusal can say which lacks it', () => {
    const dispensingSystem = userPrincipal(app(['prescription:dispense', 'prescription:track']), gp);
    assert.deepEqual(dispensingSystem.appActivities, ['prescription:dispense', 'prescription:track']);
    assert.ok(!dispensingSystem.activities.includes('prescription:prescribe'), 'a prescriber through a dispensing-only system may not prescribe');
  });
});
