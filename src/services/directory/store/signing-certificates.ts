import type { Queryable } from '../../../platform/db/pool.js';

/** Prescribers' signing certificates (PEM), by subject: an SDS user id, or '*' for a trusted CA. */
export async function insertSigningCertificate(db: Queryable, subject: string, fingerprint: string, pem: string): Promise<void> {
  await db.query(
    `INSERT INTO directory.signing_certificates (subject, fingerprint, certificate_pem) VALUES ($1, $2, $3)
     ON CONFLICT (subject, fingerprint) DO NOTHING`,
    [subject, fingerprint, pem],
  );
}

export async function findSigningCertificates(db: Queryable, subjects: string[]): Promise<Array<{ subject: string; pem: string }>> {
  const { rows } = await db.query<{ subject: string; certificate_pem: string }>(
    'SELECT subject, certificate_pem FROM directory.signing_certificates WHERE subject = ANY($1) ORDER BY registered_at',
    [subjects],
  );
  return rows.map((r) => ({ subject: r.subject, pem: r.certificate_pem }));
}
