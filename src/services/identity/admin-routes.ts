import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../platform/service.js';
import { SpineError } from '../../platform/http/errors.js';
import { clippedFhirErrorHandler } from '../../platform/http/error-mapper.js';
import { clipForDiagnostics as clip } from '../../platform/http/validation-failure.js';
import { createApplication } from './api.js';
import { IDENTITY_ERRORS } from './errors.js';
import { MIN_RSA_MODULUS_BITS, hasUsableKid, isJwks, isPublicRsaSigningKey, publicKeyMembers } from './keys.js';
import { ID_TOKEN_ALGS } from './grant.js';
import { mintDemoIdToken, DEMO_ISSUER } from './demo-issuer.js';
import { findApplicationByApiKey, listApplications, replaceApplicationJwks, updateApplicationCis2ClientId, type Application } from './store/applications.js';
import { findUser, insertRoleProfile, insertUser, listUsers } from './store/users.js';
import { listTrustedIssuers, upsertTrustedIssuer } from './store/issuers.js';
import { parseRoleProfileInput, parseUserInput } from './user-input.js';
import { isClientId, parsePublicJwks, type Parsed } from './application-input.js';
import type { Static } from '@sinclair/typebox';
import { apiKeyParams, applicationBody, cis2ClientIdBody, demoIdTokenBody, jwksBody, roleProfileBody, trustedIssuerBody, userBody, userIdParams } from './admin-schemas.js';

/** Every admin route is audited by the platform once it names what it changed (`audited`). */
const ADMIN = { activity: 'identity:admin', audit: { action: 'identity.admin' } } as const;
const PREFIX = '/admin/identity';

function valid<T>(parsed: Parsed<T>, what: string): T {
  if (!parsed.ok) throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, `Invalid ${what}: ${parsed.problem}`);
  return parsed.value;
}

const applicationView = (app: Application) => ({
  appId: app.appId, apiKey: app.apiKey, name: app.name, odsCode: app.odsCode,
  activities: app.activities, rateLimit: app.rateLimit, jwks: app.jwks, createdAt: app.createdAt, cis2ClientId: app.cis2ClientId,
});

const bodyOf = (body: unknown): Record<string, unknown> =>
  (typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {});

/** How many times a create draws its ids again when one it drew is taken. */
const ID_DRAWS = 5;

/**
 * Runs a create (`create` parses the body, drawing any id it leaves to the Spine, and inserts), again
 * when an id it drew is already taken: a user's and a role profile's ids are drawn at random from 10^8
 * (`newSdsId`), so among thousands one draw can meet another, which was a 409 for a body that named no
 * id. When the body names every id (`drawsIds` false), a taken one is refused at once, as before.
 */
async function withDrawnIds<T>(drawsIds: boolean, create: () => Promise<T>): Promise<T> {
  for (let draw = 1; ; draw += 1) {
    try {
      return await create();
    } catch (err) {
      if (!drawsIds || draw >= ID_DRAWS || !(err instanceof SpineError && err.spec === IDENTITY_ERRORS.DUPLICATE)) throw err;
    }
  }
}

/**
 * Changes to who may call the Spine are audited like patient access: who, as what, changed what.
 * The platform writes the entry before the answer goes (the routes' `config.audit`).
 */
function audited(request: FastifyRequest, action: string, resource: string, detail: Record<string, unknown> = {}) {
  request.audited = { action, resource, nhsNumbers: [], detail };
}

/** The identity admin API (JSON; errors as OperationOutcome). Every route needs `identity:admin`. */
export async function registerAdminRoutes(root: FastifyInstance, ctx: PlatformContext) {
  await root.register(async (app) => {
    app.setErrorHandler(clippedFhirErrorHandler);
    app.get(`${PREFIX}/applications`, { config: ADMIN }, async () =>
      ({ applications: (await listApplications(ctx.db)).map(applicationView) }));

    app.post(`${PREFIX}/applications`, { schema: { body: applicationBody }, config: ADMIN }, async (request, reply) => {
      const { application, generatedKey } = await createApplication(ctx.db, request.body);
      audited(request, 'identity.application.create', `Application/${application.appId}`, { name: application.name, activities: application.activities });
      // A generated private key is returned this once and never stored by the Spine.
      return reply.code(201).send({
        application: applicationView(application),
        ...(generatedKey ? { kid: generatedKey.kid, privateKeyPem: generatedKey.privateKeyPem } : {}),
      });
    });

    app.get<{ Params: { apiKey: string } }>(`${PREFIX}/applications/:apiKey`, { schema: { params: apiKeyParams }, config: ADMIN }, async (request) => {
      const found = await findApplicationByApiKey(ctx.db, request.params.apiKey);
      if (!found) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_APPLICATION, `No application with API key '${clip(request.params.apiKey)}'`);
      return applicationView(found);
    });

    app.put<{ Params: { apiKey: string } }>(`${PREFIX}/applications/:apiKey/jwks`, { schema: { params: apiKeyParams, body: jwksBody }, config: ADMIN }, async (request) => {
      const jwks = valid(parsePublicJwks(request.body), 'JWKS');
      const updated = await replaceApplicationJwks(ctx.db, request.params.apiKey, jwks);
      if (!updated) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_APPLICATION, `No application with API key '${clip(request.params.apiKey)}'`);
      audited(request, 'identity.application.keys.replace', `Application/${updated.appId}`, { kids: jwks.keys.map((k) => k.kid) });
      return applicationView(updated);
    });

    // Which CIS2 client an application is: its users' ID tokens must name it in 'aud' from now on.
    // Access tokens already issued are not touched.
    app.put<{ Params: { apiKey: string }; Body: Static<typeof cis2ClientIdBody> }>(`${PREFIX}/applications/:apiKey/cis2-client-id`,
      { schema: { params: apiKeyParams, body: cis2ClientIdBody }, config: ADMIN }, async (request) => {
        const { cis2ClientId } = request.body;
        if (cis2ClientId !== null && !isClientId(cis2ClientId)) {
          throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, "Invalid 'cis2ClientId': a client id of 1 to 200 characters without control characters, or null");
        }
        const updated = await updateApplicationCis2ClientId(ctx.db, request.params.apiKey, cis2ClientId);
        if (!updated) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_APPLICATION, `No application with API key '${clip(request.params.apiKey)}'`);
        if (updated === 'taken') throw new SpineError(IDENTITY_ERRORS.DUPLICATE, `An application with CIS2 client id '${clip(cis2ClientId ?? request.params.apiKey)}' already exists`);
        const { application, previous } = updated;
        audited(request, 'identity.application.cis2-client-id.replace', `Application/${application.appId}`, { from: previous, to: application.cis2ClientId });
        return applicationView(application);
      });

    app.get(`${PREFIX}/users`, { config: ADMIN }, async () => ({ users: await listUsers(ctx.db) }));

    app.post(`${PREFIX}/users`, { schema: { body: userBody }, config: ADMIN }, async (request, reply) => {
      const body = bodyOf(request.body);
      const profiles = Array.isArray(body.roleProfiles) ? body.roleProfiles as unknown[] : [];
      const drawsIds = body.userId === undefined || profiles.some((p) => bodyOf(p).roleProfileId === undefined);
      const user = await withDrawnIds(drawsIds, async () => {
        const parsed = valid(parseUserInput(request.body), 'user');
        // User and role profiles in one transaction: never half a user.
        await ctx.db.tx(async (tx) => {
          if (!(await insertUser(tx, parsed))) throw new SpineError(IDENTITY_ERRORS.DUPLICATE, `User '${parsed.userId}' already exists`);
          for (const profile of parsed.roleProfiles) {
            if (!(await insertRoleProfile(tx, profile))) {
              throw new SpineError(IDENTITY_ERRORS.DUPLICATE, `Role profile '${profile.roleProfileId}' already exists`);
            }
          }
        });
        return parsed;
      });
      audited(request, 'identity.user.create', `User/${user.userId}`, { roleProfiles: user.roleProfiles.map((r) => r.roleProfileId) });
      return reply.code(201).send(await findUser(ctx.db, user.userId));
    });

    app.get<{ Params: { userId: string } }>(`${PREFIX}/users/:userId`, { schema: { params: userIdParams }, config: ADMIN }, async (request) => {
      const user = await findUser(ctx.db, request.params.userId);
      if (!user) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_USER, `No user with id '${clip(request.params.userId)}'`);
      return user;
    });

    app.post<{ Params: { userId: string } }>(`${PREFIX}/users/:userId/role-profiles`, { schema: { params: userIdParams, body: roleProfileBody }, config: ADMIN }, async (request, reply) => {
      const { userId } = request.params;
      if (!(await findUser(ctx.db, userId))) throw new SpineError(IDENTITY_ERRORS.UNKNOWN_USER, `No user with id '${clip(userId)}'`);
      const profile = await withDrawnIds(bodyOf(request.body).roleProfileId === undefined, async () => {
        const parsed = valid(parseRoleProfileInput(request.body, userId), 'role profile');
        if (!(await insertRoleProfile(ctx.db, parsed))) {
          throw new SpineError(IDENTITY_ERRORS.DUPLICATE, `Role profile '${parsed.roleProfileId}' already exists`);
        }
        return parsed;
      });
      audited(request, 'identity.role-profile.create', `User/${userId}`, { roleProfileId: profile.roleProfileId, roleCode: profile.roleCode, odsCode: profile.odsCode });
      return reply.code(201).send(profile);
    });

    app.get(`${PREFIX}/trusted-issuers`, { config: ADMIN }, async () => ({ issuers: await listTrustedIssuers(ctx.db) }));

    app.put<{ Body: Static<typeof trustedIssuerBody> }>(`${PREFIX}/trusted-issuers`, { schema: { body: trustedIssuerBody }, config: ADMIN }, async (request) => {
      // Types and sizes are the door's (trustedIssuerBody); what remains are the value rules.
      const { issuer, jwks, clientIds, kind = 'cis2' } = request.body;
      if (issuer === DEMO_ISSUER) {
        throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, "Invalid trusted issuer: 'issuer' must be the issuer's identifier (its 'iss'), not the demo issuer");
      }
      // Only public RSA keys for the algorithms ID tokens are verified with (grant.ts): a symmetric
      // ('oct') key would be a shared secret stored and listed here, and is never a CIS2 key.
      if (!isJwks(jwks) || !jwks.keys.every((k) => isPublicRsaSigningKey(k, ID_TOKEN_ALGS) && hasUsableKid(k, false))) {
        throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, `Invalid trusted issuer: 'jwks' must be a JWKS of public RSA keys of at least ${MIN_RSA_MODULUS_BITS} bits for ${ID_TOKEN_ALGS.join(' or ')}`);
      }
      // Only what verifying uses is kept (and listed): any other member sent with a key is dropped.
      const keys = { keys: jwks.keys.map(publicKeyMembers) };
      await upsertTrustedIssuer(ctx.db, { issuer, jwks: keys, clientIds, kind });
      audited(request, 'identity.trusted-issuer.put', `TrustedIssuer/${issuer}`, { kids: keys.keys.map((k) => k.kid), clientIds, kind });
      return { issuer, jwks: keys, clientIds, kind };
    });

    // Demo ID tokens from the embedded issuer, for trying token exchange without CIS2.
    app.post(`${PREFIX}/demo-id-tokens`, { schema: { body: demoIdTokenBody }, config: ADMIN }, async (request) => {
      const { userId, roleProfileId, clientId } = bodyOf(request.body);
      if (typeof userId !== 'string' || (roleProfileId !== undefined && typeof roleProfileId !== 'string') || (clientId !== undefined && typeof clientId !== 'string')) {
        throw new SpineError(IDENTITY_ERRORS.INVALID_VALUE, "Invalid request: 'userId' (and optionally 'roleProfileId' and 'clientId') must be strings");
      }
      const idToken = await mintDemoIdToken(ctx, { userId, roleProfileId, clientId });
      audited(request, 'identity.demo-id-token.mint', `User/${userId}`, { roleProfileId, clientId });
      return { issuer: DEMO_ISSUER, id_token: idToken };
    });
  });
}
