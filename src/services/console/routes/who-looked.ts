import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { searchAuditRecords } from '../../audit/api.js';
import { directoryApi } from '../../directory/api.js';
import { ROLE_NAMES } from '../../identity/api.js';
import { pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';
import { describeAccess } from '../record-access.js';
import { ROLE_LABELS, type ConsoleRole } from '../pages.js';

const LIMIT = 500;
const QUERY = { type: 'object', properties: { nhsNumber: { type: 'string', maxLength: 10, pattern: '^(\\s*|\\d{10})$' } } };

export async function registerWhoLookedRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.get('/who-looked', pageRoute('who-looked', { querystring: QUERY }), async (request, reply) => {
    const person = request.consoleSession!.person;
    // A patient sees their own record's accesses only; a privacy officer names the patient.
    const asked = (request.query as { nhsNumber?: string }).nhsNumber?.trim() || undefined;
    const nhsNumber = person.role === 'patient' ? person.nhsNumber : asked;
    if (!nhsNumber) return render(request, reply, { template: 'who-looked.njk', title: 'Who looked at a record', page: 'who-looked', asked });
    await ctx.audit.chainPending();
    const result = await searchAuditRecords(ctx.db, { nhsNumber, limit: LIMIT });
    const directory = directoryApi(ctx.db);
    const organisations = new Map<string, string | undefined>();
    for (const ods of new Set(result.records.map((r) => r.odsCode).filter((o): o is string => Boolean(o)))) {
      organisations.set(ods, (await directory.getOrganisation(ods))?.name);
    }
    const accesses = result.records.map((r) => describeAccess(r, {
      organisation: (ods) => organisations.get(ods),
      role: (code) => ROLE_NAMES[code] ?? ROLE_LABELS[code as ConsoleRole],
    }));
    await auditConsole(ctx, request, { action: 'console.record-access.view', nhsNumbers: [nhsNumber], resource: `Patient/${nhsNumber}`, detail: { shown: accesses.length } });
    return render(request, reply, {
      template: 'who-looked.njk', title: 'Who looked at a record', page: 'who-looked', asked, nhsNumber, accesses, total: result.total, own: person.role === 'patient',
    });
  });
}
