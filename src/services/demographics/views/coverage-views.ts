import type { Coverage } from '../domain/coverage.js';
import type { StoredCoverage } from '../store/coverage.js';
import { PDS_BASE } from '../routes/paths.js';
import { SUBSCRIBER_IDENTIFIER } from '../search/coverage-search-params.js';

/** `CoverageSearch.yaml`: a searchset of zero or one Coverage, with the coverage version in `meta`. */
export interface CoverageSearchBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  timestamp: string;
  total: 0 | 1;
  meta: { versionId: string };
  entry?: Array<{ fullUrl: string; resource: Coverage }>;
}

/**
 * What GET /Coverage and POST /Coverage answer (spec example `CoverageSearch.json`). The version
 * is present even with no EHIC, so a client can send it as If-Match to add one.
 */
export function coverageSearchBundle(publicBaseUrl: string, nhsNumber: string, stored: StoredCoverage, now: Date): CoverageSearchBundle {
  const bundle: CoverageSearchBundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: now.toISOString(),
    total: stored.coverage ? 1 : 0,
    meta: { versionId: String(stored.versionId) },
  };
  if (stored.coverage) {
    const fullUrl = `${publicBaseUrl.replace(/\/$/, '')}${PDS_BASE}/Coverage?${SUBSCRIBER_IDENTIFIER}=${nhsNumber}`;
    bundle.entry = [{ fullUrl, resource: stored.coverage }];
  }
  return bundle;
}
