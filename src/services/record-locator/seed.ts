import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SANDBOX_PRINCIPAL } from '../../platform/auth/sandbox.js';
import type { PlatformContext } from '../../platform/service.js';
import { demoApplication } from '../identity/api.js';
import type { DocumentReference } from './domain/document-reference.js';
import { RECORD_TYPES } from './domain/record-types.js';
import { replacePointer, rowOf, setPermission } from './store.js';

/**
 * Dataset `nrl`: NHS England's NRL test pointers (spec/nhs/nrl/test_data/DocumentReference) and the
 * permissions the sandbox caller and the demo application need to produce and consume them.
 * Idempotent: pointers are replaced by id, permissions overwritten.
 */
const TEST_POINTERS = fileURLToPath(new URL('../../../spec/nhs/nrl/test_data/DocumentReference/', import.meta.url));

/** Organisations the test pointers belong to, and the sandbox principal's own. */
const TEST_ORGANISATIONS = ['Y05868', 'RQI', SANDBOX_PRINCIPAL.odsCode];

/**
 * The test files share ids (five variants of `Y05868-99999-99999-999999`): the first keeps its id,
 * each later one is stored under its file name (`Y05868-736253002-Valid-with-date`), itself a
 * valid NRL id, so every variant can be read and searched.
 */
export function testPointers(): Array<{ id: string; resource: DocumentReference }> {
  const files = readdirSync(TEST_POINTERS).filter((f) => f.endsWith('.json')).sort((a, b) => a.length - b.length || a.localeCompare(b));
  const used = new Set<string>();
  return files.map((file) => {
    const resource = JSON.parse(readFileSync(TEST_POINTERS + file, 'utf8')) as DocumentReference;
    const id = resource.id && !used.has(resource.id) ? resource.id : file.replace(/\.json$/, '');
    used.add(id);
    return { id, resource: { ...resource, id } };
  });
}

export async function loadNrlDataset(ctx: PlatformContext): Promise<string> {
  const pointers = testPointers();
  for (const { id, resource } of pointers) await replacePointer(ctx.db, rowOf(resource, id));
  const allTypes = [...RECORD_TYPES.keys()];
  const grants: Array<{ appId: string; organisation: string }> = TEST_ORGANISATIONS.map((organisation) => ({ appId: SANDBOX_PRINCIPAL.appId, organisation }));
  const demo = await demoApplication(ctx.db, 'demo').catch(() => undefined);
  if (demo) {
    for (const organisation of new Set([demo.odsCode, ...TEST_ORGANISATIONS])) grants.push({ appId: demo.appId, organisation });
  }
  for (const grant of grants) await setPermission(ctx.db, { ...grant, pointerTypes: allTypes });
  return `${pointers.length} test pointers, ${grants.length} permissions (sandbox app${demo ? ' and demo app' : '; no demo app yet'})`;
}
