import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * NHS England's `$prepare` examples that answered 200 (spec/nhs/eps/examples/**): each request, the
 * DigestValue and timestamp of its response's SignedInfo, and the `$convert` translation of the same
 * prescription where the folder has one (`n-Convert-Response-Send-200_OK.xml`, a translation of the
 * order `n-Process-Request-Send`, whose clinical content is the prepare request's in all but two).
 */
export const EXAMPLES = fileURLToPath(new URL('../../spec/nhs/eps/examples/', import.meta.url));

export interface DigestExample {
  name: string;
  request: Record<string, any>;
  /** The response's SignedInfo, as EPS wrote it. */
  signedInfo: string;
  digestValue: string;
  timestamp: string;
  convertXml?: string;
}

function files(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, found);
    else found.push(path);
  }
  return found;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

export function digestExamples(): DigestExample[] {
  const found: DigestExample[] = [];
  for (const response of files(EXAMPLES)) {
    const request = response.endsWith('Prepare-Response-200_OK.json') ? response.replace('Prepare-Response', 'Prepare-Request')
      : response.includes('/spec/prepare/') ? response.replace(/-res\.json$/, '-req.json') : undefined;
    if (!request || request === response || !existsSync(request)) continue;
    const parameters = readJson(response).parameter as Array<{ name: string; valueString: string }>;
    const signedInfo = Buffer.from(parameters.find((p) => p.name === 'digest')!.valueString, 'base64').toString('utf8');
    const convertPath = request.replace('Prepare-Request', 'Convert-Response-Send').replace(/\.json$/, '.xml');
    found.push({
      name: relative(EXAMPLES, request),
      request: readJson(request),
      signedInfo,
      digestValue: /<DigestValue>([^<]*)<\/DigestValue>/.exec(signedInfo)![1]!,
      timestamp: parameters.find((p) => p.name === 'timestamp')!.valueString,
      ...(existsSync(convertPath) ? { convertXml: readFileSync(convertPath, 'utf8') } : {}),
    });
  }
  return found;
}
