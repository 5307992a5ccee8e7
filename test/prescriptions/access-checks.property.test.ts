import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { SpineError } from '../../src/platform/http/errors.js';
import type { PlatformContext } from '../../src/platform/service.js';
import { checkAccessMode, checkSessionRole } from '../../src/services/prescriptions/routes/common.js';

// EPS (fhir-prescribing.yaml, fhir-dispensing.yaml): prescribing is user-restricted only;
// dispensing is user-restricted except the Download prescriptions request, which an application
// may make; a user-restricted call names the user's selected role in NHSD-Session-URID, and it
// must be the role the token was issued for. NHS England's sandbox checks neither.

const contextOf = (sandbox: boolean) => ({ config: { sandbox } }) as unknown as PlatformContext;
const requestOf = (mode: 'application' | 'user' | 'patient' | undefined, roleProfileId: string | undefined, urid: string | undefined) => ({
  principal: mode === undefined ? undefined : { accessMode: mode, roleProfileId },
  headers: urid === undefined ? {} : { 'nhsd-session-urid': urid },
}) as unknown as FastifyRequest;

/** 'ok', or the EPS code refused with (anything but a SpineError fails the test). */
async function codeOf(check: () => unknown): Promise<string> {
  try {
    await check();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof SpineError, `not a SpineError: ${String(err)}`);
    return err.spec.code;
  }
}

const mode = fc.constantFrom('application', 'user', 'patient', undefined) as fc.Arbitrary<'application' | 'user' | 'patient' | undefined>;
const roleId = fc.stringMatching(/^[0-9]{1,12}$/);

describe('EPS access mode and session role (properties)', () => {
  it('outside sandbox mode: a user may call either side; an application only where the request allows it; a patient never (403)', async () => {
    await fc.assert(fc.asyncProperty(mode, fc.constantFrom('prescribing', 'dispensing') as fc.Arbitrary<'prescribing' | 'dispensing'>, fc.boolean(), fc.boolean(), async (m, side, applicationMay, sandbox) => {
      const expected = sandbox || m === undefined || m === 'user' || (m === 'application' && applicationMay) ? 'ok' : 'FORBIDDEN';
      assert.equal(await codeOf(() => checkAccessMode(contextOf(sandbox), requestOf(m, undefined, undefined), side, applicationMay)), expected, `${String(m)} ${side} ${applicationMay} ${sandbox}`);
    }), { numRuns: 300 });
  });

  it('a user must name the role the token was issued for in NHSD-Session-URID: none is 400 MISSING_VALUE, any other 403', async () => {
    const urid = (role: string) => fc.oneof(fc.constant(role), fc.constant(undefined), roleId, fc.string({ maxLength: 14 }),
      fc.constantFrom(` ${role}`, `${role} `, `${role}0`, role.slice(1), `${role},${role}`));
    const scenario = fc.tuple(roleId, mode, fc.boolean()).chain(([role, m, sandbox]) => urid(role).map((u) => ({ role, m, sandbox, u })));
    await fc.assert(fc.asyncProperty(scenario, async ({ role, m, sandbox, u }) => {
      const expected = sandbox || m !== 'user' || u === role ? 'ok' : u === undefined ? 'MISSING_VALUE' : 'FORBIDDEN';
      assert.equal(await codeOf(() => checkSessionRole(contextOf(sandbox), requestOf(m, role, u))), expected, JSON.stringify({ role, m, sandbox, u }));
    }), { numRuns: 500 });
  });
});
