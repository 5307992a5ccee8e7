/**
 * The oldest Node OpenSpine runs on. Two dependencies are ES modules only (`cookie`, loaded by
 * Fastify's request injection, and `content-disposition`, by its static files) and are loaded with
 * `require`, which Node does without a flag from 20.19.
 */
export const OLDEST_NODE = '20.19.0';

/** Why this Node version cannot run OpenSpine, or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10));
  const [oldestMajor, oldestMinor] = OLDEST_NODE.split('.').map(Number) as [number, number];
  if (major > oldestMajor || (major === oldestMajor && minor >= oldestMinor)) return undefined;
  return `OpenSpine needs Node ${OLDEST_NODE} or later; this is Node ${version}`;
}
