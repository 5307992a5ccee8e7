import { Type } from '@sinclair/typebox';
import { ACTIVITIES } from '../../platform/auth/activities.js';
import { ISSUER_KINDS } from './store/issuers.js';

/**
 * The identity admin API's route schemas (TypeBox: an OpenSpine API): the door refuses wrong types
 * and unknown fields; the value rules (ODS codes, role codes, public keys only) are the input
 * parsers' (`application-input.ts`, `user-input.ts`), shared with the CLI, which say what is wrong.
 */
/** At most MAX_JWKS_KEYS keys: a JWKS holds the keys in use and the next (NHS England's rotation), not thousands. */
export const MAX_JWKS_KEYS = 20;
const jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: MAX_JWKS_KEYS }) }, { description: `A JWKS of public RSA keys (at most ${MAX_JWKS_KEYS}), each with its own kid` });

const roleProfile = Type.Object({
  roleProfileId: Type.Optional(Type.String({ description: 'SDS role profile id (generated when absent)' })),
  odsCode: Type.String({ description: 'ODS code of the organisation the role is held at' }),
  roleCode: Type.String({ description: 'CIS2 job role code, R8000 or S8000:G8000:R8000' }),
}, { additionalProperties: false });

export const applicationBody = Type.Object({
  name: Type.String({ description: 'The application\'s name, at most 200 characters' }),
  odsCode: Type.String({ description: 'ODS code of the organisation that runs it' }),
  activities: Type.Optional(Type.Array(Type.String({ enum: [...ACTIVITIES] }), { description: 'What it may do (default: patients, messaging, directory reads)' })),
  rateLimit: Type.Optional(Type.Integer({ description: 'Requests per second' })),
  jwks: Type.Optional(jwks),
  cis2ClientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The client id CIS2 knows it by: its users' ID tokens must name it in 'aud' (default: its API key)" })),
}, { additionalProperties: false });

export const userBody = Type.Object({
  userId: Type.Optional(Type.String({ description: 'SDS user id (generated when absent)' })),
  name: Type.String(),
  roleProfiles: Type.Optional(Type.Array(roleProfile, { maxItems: 50, description: "The user's role profiles (at most 50: each is listed in every ID token of the user)" })),
}, { additionalProperties: false });

export const cis2ClientIdBody = Type.Object({
  cis2ClientId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
    description: "The client id CIS2 knows the application by (its users' ID tokens name it in 'aud'), or null for its API key",
  }),
}, { additionalProperties: false });

export const roleProfileBody = roleProfile;
export const jwksBody = jwks;

export const demoIdTokenBody = Type.Object({
  userId: Type.String({ minLength: 1, maxLength: 200 }),
  roleProfileId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The CIS2 client id of the application that will exchange it ('aud'; default 'openspine-demo', the demo app's)" })),
}, { additionalProperties: false });

/** PUT trusted-issuers: an OIDC issuer whose ID tokens the Spine exchanges, its public keys and the client ids it addresses. */
export const trustedIssuerBody = Type.Object({
  issuer: Type.String({ minLength: 1, maxLength: 500, description: "The issuer's identifier, as its ID tokens' 'iss' (not the demo issuer)" }),
  jwks,
  clientIds: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 100, description: "The client ids (1 to 100) this issuer addresses its ID tokens to ('aud')" }),
  kind: Type.Optional(Type.Union(ISSUER_KINDS.map((k) => Type.Literal(k)), { description: "What its ID tokens may assert: 'cis2' (default: staff and their role profiles) or 'nhs-login' (a patient's verified NHS number)" })),
}, { additionalProperties: false });

export const apiKeyParams = Type.Object({ apiKey: Type.String({ description: 'The application\'s API key' }) });
export const userIdParams = Type.Object({ userId: Type.String({ description: 'SDS user id' }) });
