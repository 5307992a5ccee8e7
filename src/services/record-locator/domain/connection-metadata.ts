/**
 * The caller as NHS England's API gateway (Apigee) describes it to NRL: `NHSD-Connection-Metadata`
 * (`nrl.app-id`, `nrl.ods-code`, `nrl.ods-code-extension`, …) and `NHSD-Client-RP-Details`
 * (`developer.app.name`, `developer.app.id`), both JSON. Either missing or malformed is NRLF's
 * 401 MISSING_OR_INVALID_HEADER. `nrl.pointer-types` is checked for shape, never trusted: pointer
 * types come from the service's own permission store.
 */
export interface GatewayCaller {
  appId: string;
  odsCode: string;
  odsCodeExtension?: string;
  appName: string;
  developerAppId: string;
}

const ODS = /^[A-Za-z0-9]{1,20}$/;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Text that can be stored (PostgreSQL takes neither a NUL nor a lone surrogate): an id or name is keyed and audited. */
const isText = (value: unknown, max = 200): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !value.includes('\u0000') && isWellFormed(value);
const isTextList = (value: unknown) => value === undefined || (Array.isArray(value) && value.every((v) => isText(v)));

/** No lone UTF-16 surrogates: they cannot be stored (PostgreSQL text) or echoed faithfully. */
export function isWellFormed(value: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

function parseJsonObject(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined || raw.length > 8192) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function parseGatewayHeaders(connectionMetadata: string | undefined, clientRpDetails: string | undefined): GatewayCaller | undefined {
  const metadata = parseJsonObject(connectionMetadata);
  const client = parseJsonObject(clientRpDetails);
  if (!metadata || !client) return undefined;
  const appId = metadata['nrl.app-id'];
  const odsCode = metadata['nrl.ods-code'];
  const extension = metadata['nrl.ods-code-extension'];
  const appName = client['developer.app.name'];
  const developerAppId = client['developer.app.id'];
  if (!isText(appId) || !isText(odsCode) || !ODS.test(odsCode)) return undefined;
  if (extension !== undefined && extension !== null && !(isText(extension) && ODS.test(extension))) return undefined;
  if (!isTextList(metadata['nrl.pointer-types']) || !isTextList(metadata['nrl.permissions'])) return undefined;
  if (!isText(appName) || !isText(developerAppId)) return undefined;
  // ODS codes are upper case (ODS publishes them so): one spelt in lower case is the same organisation,
  // with the same permissions, custodian and pointer-id prefix. Taken as sent, `y05868` found no
  // permission of Y05868 (403) and made pointers under another prefix.
  return {
    appId,
    odsCode: odsCode.toUpperCase(),
    ...(typeof extension === 'string' ? { odsCodeExtension: extension.toUpperCase() } : {}),
    appName,
    developerAppId,
  };
}

/** The ODS code a header names, in upper case as ODS writes it, or undefined when it is not one. */
export function parseOdsHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && ODS.test(value) ? value.toUpperCase() : undefined;
}

/** Permissions and pointer ids key an organisation as `ODS` or `ODS.extension` (NRLF's custodian suffix). */
export const organisationKey = (odsCode: string, extension?: string) => (extension ? `${odsCode}.${extension}` : odsCode);
