import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { pointersForPatient } from '../../record-locator/api.js';
import { pageRoute } from '../http.js';
import { render } from '../render.js';
import { auditConsole } from '../audit.js';

const LIMIT = 100;
const QUERY = { type: 'object', properties: { nhsNumber: { type: 'string', maxLength: 10, pattern: '^(\\s*|\\d{10})$' } } };

export async function registerPointerRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.get('/pointers', pageRoute('pointers', { querystring: QUERY }), async (request, reply) => {
    const nhsNumber = (request.query as { nhsNumber?: string }).nhsNumber?.trim() || undefined;
    if (!nhsNumber) return render(request, reply, { template: 'pointers.njk', title: 'NRL pointers', page: 'pointers' });
    const { total, pointers } = await pointersForPatient(ctx.db, nhsNumber, LIMIT);
    await auditConsole(ctx, request, { action: 'console.pointers.search', resource: `DocumentReference?subject=${nhsNumber}`, nhsNumbers: [nhsNumber], detail: { found: total } });
    const rows = pointers.map((p) => ({
      id: p.id ?? '',
      type: p.type?.coding?.[0]?.display ?? p.type?.coding?.[0]?.code ?? '',
      custodian: p.custodian?.identifier?.value ?? '',
      date: p.date ?? (p.meta?.lastUpdated as string | undefined) ?? '',
      status: p.status ?? '',
      url: p.content?.[0]?.attachment?.url ?? '',
    }));
    return render(request, reply, { template: 'pointers.njk', title: 'NRL pointers', page: 'pointers', nhsNumber, total, rows });
  });
}
