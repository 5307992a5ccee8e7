import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { MB1, V2, meshAuthorization } from './support/mesh-client.js';

/** A CA, a server certificate for 127.0.0.1, and client certificates from that CA and from a stranger's. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
  const leaf = (name: string, cn: string, issuer: string, extensions: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('mesh-ca');
  ca('stranger-ca');
  leaf('server', '127.0.0.1', 'mesh-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', `SERVER001.X26.api.mesh-client.nhs.uk`, 'mesh-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'intruder', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => readFileSync(join(dir, name));
  return { file };
}

function get(url: string, options: { ca: Buffer; key?: Buffer; cert?: Buffer; headers?: Record<string, string>; method?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', ca: options.ca, key: options.key, cert: options.cert, headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part) => { body += part; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MESH over HTTPS with mutual TLS', () => {
  let dir: string;
  let spine: TestSpine;
  let certs: ReturnType<typeof makeCertificates>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-tls-'));
    certs = makeCertificates(dir);
    spine = await startTestSpine({ flags: { tlsKey: join(dir, 'server.key'), tlsCert: join(dir, 'server.crt'), tlsCa: join(dir, 'mesh-ca.crt') } });
  });
  after(async () => {
    await spine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a client certificate from the configured CA plus a good NHSMESH token opens the mailbox', async () => {
    assert.match(spine.url, /^https:/);
    const response = await get(`${spine.url}/messageexchange/${MB1}/inbox`, {
      ca: certs.file('mesh-ca.crt'), key: certs.file('client.key'), cert: certs.file('client.crt'),
      headers: { authorization: meshAuthorization(MB1), accept: V2 },
    });
    assert.equal(response.status, 200);
    assert.ok(Array.isArray((JSON.parse(response.body) as { messages: unknown }).messages));
  });

  it('no client certificate, or one from another CA, is a MESH-shaped 403 even with a good token', async () => {
    for (const client of [{}, { key: certs.file('stranger.key'), cert: certs.file('stranger.crt') }]) {
      const response = await get(`${spine.url}/messageexchange/${MB1}/inbox`, {
        ca: certs.file('mesh-ca.crt'), ...client, headers: { authorization: meshAuthorization(MB1) },
      });
      assert.equal(response.status, 403);
      assert.deepEqual(JSON.parse(response.body), { errorEvent: 'AUTH', errorCode: '403', errorDescription: 'A client certificate signed by a trusted CA is required' });
    }
    const ping = await get(`${spine.url}/messageexchange/_ping`, { ca: certs.file('mesh-ca.crt') });
    assert.equal(ping.status, 403, 'the TLS check covers every MESH route');
  });
});

describe('MESH sandbox mode with mutual TLS', () => {
  let dir: string;
  let spine: TestSpine;
  let certs: ReturnType<typeof makeCertificates>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-tls-sandbox-'));
    certs = makeCertificates(dir);
    spine = await startTestSpine({ flags: { sandbox: true, tlsKey: join(dir, 'server.key'), tlsCert: join(dir, 'server.crt'), tlsCa: join(dir, 'mesh-ca.crt') } });
  });
  after(async () => {
    await spine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a test harness reaches the sandbox testing routes without a client certificate, at both prefixes', async () => {
    for (const prefix of ['', '/messageexchange']) {
      const mailbox = await get(`${spine.url}${prefix}/admin/mailbox/${MB1}`, { ca: certs.file('mesh-ca.crt') });
      assert.equal(mailbox.status, 200, prefix);
      assert.equal((JSON.parse(mailbox.body) as { mailbox_id: string }).mailbox_id, MB1);
      const reset = await get(`${spine.url}${prefix}/admin/reset`, { ca: certs.file('mesh-ca.crt'), method: 'DELETE' });
      assert.equal(reset.status, 200, prefix);
    }
  });

  it('the mailbox routes still need the client certificate', async () => {
    const response = await get(`${spine.url}/messageexchange/${MB1}/inbox`, { ca: certs.file('mesh-ca.crt'), headers: { authorization: meshAuthorization(MB1) } });
    assert.equal(response.status, 403);
  });
});
