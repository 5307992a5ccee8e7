import type { TestSpine } from './spine.js';
import { createAppAndToken } from './identity.js';
import { freshOrder, prescribe, shortFormIdOf, workerHeaders } from '../prescriptions/support.js';
import { MENTAL_HEALTH_CRISIS_PLAN, call as nrlCall, pointerBody } from '../record-locator/support.js';

/**
 * Signs in to the console over plain HTTP, as a browser would: start, the demo issuer's page, the
 * chosen identity, the callback. Returns the session cookie and the CSRF token of its forms.
 */
export interface ConsoleLogin {
  cookie: string;
  csrf(): Promise<string>;
  get(path: string): Promise<Response>;
  post(path: string, form: Record<string, string>): Promise<Response>;
}

/** Demo identities on the issuer's page: `user:<userId>:<roleProfileId>` or `patient:<nhsNumber>`. */
export const DEMO_IDENTITIES = {
  operator: 'user:555000000005:555000000105',
  'privacy-officer': 'user:555000000003:555000000103',
  administrator: 'user:555000000004:555000000104',
  patient: 'patient:9000000009',
  clinician: 'user:555000000001:555000000101',
} as const;

const cookieOf = (response: Response, name: string) => {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    if (pair!.startsWith(`${name}=`)) return pair!;
  }
  return undefined;
};

export async function consoleLogin(base: string, identity: string): Promise<ConsoleLogin> {
  const start = await fetch(`${base}/console/auth/start?returnTo=%2Fconsole%2F`, { redirect: 'manual' });
  const loginCookie = cookieOf(start, 'openspine_console_login')!;
  const authorize = new URL(start.headers.get('location')!, base);
  const chosen = new URLSearchParams(authorize.search);
  chosen.set('identity', identity);
  const signedIn = await fetch(`${base}${authorize.pathname}`, { method: 'POST', body: chosen, redirect: 'manual' });
  if (signedIn.status !== 303) throw new Error(`the demo issuer answered ${signedIn.status}`);
  const callback = await fetch(signedIn.headers.get('location')!, { headers: { cookie: loginCookie }, redirect: 'manual' });
  const cookie = cookieOf(callback, 'openspine_console');
  if (!cookie) throw new Error(`the callback answered ${callback.status} without a session: ${await callback.text()}`);
  const get = (path: string) => fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
  const csrf = async () => {
    const html = await (await get('/console/logout')).text();
    return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  };
  return {
    cookie, csrf, get,
    post: async (path, form) => fetch(`${base}${path}`, { method: 'POST', headers: { cookie }, body: new URLSearchParams(form), redirect: 'manual' }),
  };
}

/**
 * A prescription made through the real EPS API ($prepare, signed $process-message) and a pointer
 * made through the real NRL producer API, both for `nhsNumber`: what the console's "Prescriptions
 * and pointers" page must show. Returns the prescription's short-form id and the pointer's id.
 */
export async function prescriptionAndPointerFor(spine: TestSpine, nhsNumber: string): Promise<{ shortFormId: string; pointerId: string; pointerUrl: string }> {
  const order = freshOrder({ nhsNumber });
  const prescribed = await prescribe(spine, await workerHeaders(spine, 'A83008', 'R8000'), order);
  if (prescribed.status !== 200) throw new Error(`EPS answered ${prescribed.status}: ${JSON.stringify(prescribed.body)}`);
  const producer = await createAppAndToken(spine, { activities: ['record-locator:produce'], odsCode: 'ANGY1' });
  const admin = await createAppAndToken(spine, { activities: ['record-locator:admin'] });
  const granted = await fetch(`${spine.url}/admin/record-locator/permissions/${producer.principal.appId}/ANGY1`, {
    method: 'PUT', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify([MENTAL_HEALTH_CRISIS_PLAN]),
  });
  if (!granted.ok) throw new Error(`NRL permissions answered ${granted.status}`);
  const body = pointerBody('ANGY1', nhsNumber);
  const created = await nrlCall(spine, 'POST', '/producer/FHIR/R4/DocumentReference', { authorization: `Bearer ${producer.token}`, 'nhsd-end-user-organisation-ods': 'ANGY1' }, { body });
  if (created.status !== 201) throw new Error(`NRL answered ${created.status}: ${JSON.stringify(created.body)}`);
  const pointerId = created.headers.get('location')!.split('/').pop()!;
  return { shortFormId: shortFormIdOf(order), pointerId, pointerUrl: body.content[0]!.attachment.url };
}
