import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { PlatformContext } from '../../../platform/service.js';
import { normalisePrefix, postcodePrefixes } from '../domain/postcode-areas.js';
import * as store from '../store/postcode-areas.js';
import { ADMIN, auditChange, invalid } from './http.js';
import { PostcodeAreaBody, PostcodeAreaParams, PostcodeQuery } from './schemas.js';

type Params = Static<typeof PostcodeAreaParams>;

/**
 * /admin/directory/postcode-areas: which ICB sub location and local authority are responsible for
 * which postcodes (NEMS's CHO_POSTCODE_CCG and UHV_POSTCODE_LACODE rules read them). An organisation's
 * prefixes of one kind are replaced whole (PUT), read (GET), and a postcode's areas looked up
 * (`?postcode=`). The codes need not be directory organisations: local authorities are ONS codes.
 */
export async function postcodeAreaRoutes(app: FastifyInstance, ctx: PlatformContext) {
  const base = '/admin/directory/postcode-areas';

  app.get<{ Querystring: Static<typeof PostcodeQuery> }>(base, { schema: { querystring: PostcodeQuery }, config: ADMIN }, async (request) => {
    const prefixes = postcodePrefixes(request.query.postcode);
    if (prefixes.length === 0) throw invalid('postcode', `'${request.query.postcode}' is not a UK postcode`);
    return { postcode: prefixes[0], areas: await store.areasOfPrefixes(ctx.db, prefixes) };
  });

  app.get<{ Params: Params }>(`${base}/:kind/:odsCode`, { schema: { params: PostcodeAreaParams }, config: ADMIN }, async (request) => {
    const odsCode = request.params.odsCode.toUpperCase();
    return { kind: request.params.kind, odsCode, prefixes: await store.prefixesOf(ctx.db, request.params.kind, odsCode) };
  });

  app.put<{ Params: Params; Body: Static<typeof PostcodeAreaBody> }>(`${base}/:kind/:odsCode`, { schema: { params: PostcodeAreaParams, body: PostcodeAreaBody }, config: ADMIN }, async (request, reply) => {
    const { kind } = request.params;
    const odsCode = request.params.odsCode.toUpperCase();
    const prefixes = request.body.prefixes.map((raw, i) => {
      const prefix = normalisePrefix(raw);
      if (!prefix) throw invalid(`prefixes[${i}]`, `'${raw}' is not a postcode prefix (an area LS, district LS1, sector LS1 6 or postcode LS1 6AE)`);
      return prefix;
    });
    const unique = [...new Set(prefixes)].sort();
    const created = await ctx.db.tx(async (tx) => {
      const had = await store.prefixesOf(tx, kind, odsCode);
      await store.setPostcodeAreas(tx, kind, odsCode, unique);
      return had.length === 0;
    });
    auditChange(request, 'postcode-areas', `PostcodeAreas/${kind}/${odsCode}`, created);
    return reply.code(200).send({ kind, odsCode, prefixes: unique });
  });
}
