import type { FastifyInstance } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';

/** NEMS (STU3) under `/nems/STU3`. */
export async function nemsRoutes(_app: FastifyInstance, _ctx: PlatformContext) {
}
