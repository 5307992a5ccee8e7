import negotiate from '@fastify/accept-negotiator';
import type { ApiVersion } from './api-version.js';

/**
 * How a chunk goes out, as MESH does it (the spec's `accept-encoding` download parameter; the
 * MESH sandbox's download handler): a gzip-stored chunk goes out as stored to a client that
 * accepts gzip and decompressed to one that does not; an uncompressed chunk may be gzipped on the
 * fly for a v2 client that accepts gzip; a v1 client gets uncompressed chunks as stored.
 */
export type DownloadCoding = 'as-stored' | 'gzip' | 'gunzip';

/** Whether `Accept-Encoding` admits gzip (`x-gzip` is its old name; `*` admits it too; `q=0` refuses). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return negotiate(acceptEncoding.toLowerCase(), ['gzip', 'x-gzip']) !== null;
}

export function downloadCoding(stored: '' | 'gzip', version: ApiVersion, acceptEncoding: string | undefined): DownloadCoding {
  const gzipOk = acceptsGzip(acceptEncoding);
  if (stored === 'gzip') return gzipOk ? 'as-stored' : 'gunzip';
  return version === 2 && gzipOk ? 'gzip' : 'as-stored';
}
