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
