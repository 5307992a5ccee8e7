import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { NEMS_EVENT_CODES } from './event-types.js';

/**
 * A NEMS subscription's criteria (`explore_create_subscription.md`, "Criteria Components"): a FHIR
 * search string starting `/Bundle?type=message`, then `&`-joined components with the cardinalities
 * of its table. Parsed once at create time into plain data the matcher reads.
 */
export const SERVICE_TYPES = ['GP', 'CHO', 'UHV', 'EPCHR'] as const;
export const RULE_TYPES = ['GP_GP_GP', 'CHO_GP_CCG', 'CHO_POSTCODE_CCG', 'UHV_POSTCODE_LACODE', 'COUNTRYCODE'] as const;
export const COUNTRY_CODES = ['E92000001', 'W92000004', 'S92000003', 'N92000002', 'L93000001', 'M83000003'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export interface AgeBound { op: 'lt' | 'gt'; years: number }

export interface NemsCriteria {
  kind: 'explicit' | 'generic';
  events: string[];
  nhsNumber?: string;
  serviceType?: (typeof SERVICE_TYPES)[number];
  ages: AgeBound[];
  gpRegistration?: 'RegisteredOnly' | 'UnregisteredOnly';
  rule?: { type: RuleType; organisation: string };
  tag?: string;
}

export interface CriteriaProblem {
  code: 'INVALID_PARAMETER' | 'INVALID_NHS_NUMBER' | 'INVALID_IDENTIFIER_SYSTEM' | 'INVALID_CODE_VALUE';
  diagnostics: string;
}

const PREFIX = '/Bundle?type=message';
/** Explicit subscriptions name the patient in the old `fhir.nhs.net` system (events use fhir.nhs.uk). */
export const SUBSCRIPTION_NHS_NUMBER_SYSTEM = 'http://fhir.nhs.net/Id/nhs-number';
const TAG = /^[A-Za-z0-9\-_|,]{1,100}$/;
const AGE = /^(lt|gt)(\d{1,3})$/;
const ORG_CODE = /^[A-Za-z0-9]{1,12}$/;

const problem = (code: CriteriaProblem['code'], diagnostics: string): CriteriaProblem => ({ code, diagnostics });
export const isCriteriaProblem = (x: NemsCriteria | CriteriaProblem): x is CriteriaProblem => 'code' in x;

export function parseNemsCriteria(text: string): NemsCriteria | CriteriaProblem {
  if (!text.startsWith(PREFIX)) return problem('INVALID_PARAMETER', `Subscription criteria must start with '${PREFIX}'`);
  const rest = text.slice(PREFIX.length);
  if (rest !== '' && !rest.startsWith('&')) return problem('INVALID_PARAMETER', `Subscription criteria must start with '${PREFIX}'`);
  const components = rest === '' ? [] : rest.slice(1).split('&');
  const seen = new Map<string, string[]>();
  for (const component of components) {
    const eq = component.indexOf('=');
    if (eq <= 0) return problem('INVALID_PARAMETER', `Invalid criteria component '${component}'`);
    const name = component.slice(0, eq);
    // Appended in place: a copy at each repeat would be quadratic in a criteria string's repeats.
    const values = seen.get(name);
    if (values) values.push(component.slice(eq + 1));
    else seen.set(name, [component.slice(eq + 1)]);
  }
  const known = ['serviceType', 'Patient.identifier', 'MessageHeader.event', 'Patient.age', 'GPRegistration', 'subscriptionRuleType', 'Organization.identifier', 'tag'];
  for (const name of seen.keys()) {
    if (!known.includes(name)) return problem('INVALID_PARAMETER', `Unknown criteria component '${name}'`);
  }
  const once = (name: string): string | CriteriaProblem | undefined => {
    const values = seen.get(name);
    if (!values) return undefined;
    return values.length > 1 ? problem('INVALID_PARAMETER', `Criteria component '${name}' may appear only once`) : values[0];
  };
  const criteria: NemsCriteria = { kind: seen.has('Patient.identifier') ? 'explicit' : 'generic', events: seen.get('MessageHeader.event') ?? [], ages: [] };

  const serviceType = once('serviceType');
  if (typeof serviceType === 'object') return serviceType;
  if (serviceType !== undefined) {
    if (!(SERVICE_TYPES as readonly string[]).includes(serviceType)) return problem('INVALID_PARAMETER', `serviceType must be one of ${SERVICE_TYPES.join(', ')}`);
    criteria.serviceType = serviceType as NemsCriteria['serviceType'];
  }

  const patient = once('Patient.identifier');
  if (typeof patient === 'object') return patient;
  if (patient !== undefined) {
    const bar = patient.indexOf('|');
    if (bar < 0 || patient.slice(0, bar) !== SUBSCRIPTION_NHS_NUMBER_SYSTEM) {
      return problem('INVALID_IDENTIFIER_SYSTEM', `Patient.identifier must be '${SUBSCRIPTION_NHS_NUMBER_SYSTEM}|{NHS number}'`);
    }
    const nhsNumber = patient.slice(bar + 1);
    if (!isValidNhsNumber(nhsNumber)) return problem('INVALID_NHS_NUMBER', `Invalid NHS number '${nhsNumber}' in Patient.identifier`);
    criteria.nhsNumber = nhsNumber;
  }

  if (criteria.events.length === 0) return problem('INVALID_PARAMETER', 'Subscription criteria must name at least one MessageHeader.event');
  if (criteria.kind === 'generic' && criteria.events.length > 1) return problem('INVALID_PARAMETER', 'A generic subscription names exactly one MessageHeader.event');
  for (const event of criteria.events) {
    if (!NEMS_EVENT_CODES.has(event)) return problem('INVALID_CODE_VALUE', `Unknown MessageHeader.event '${event}'`);
  }
  if (new Set(criteria.events).size !== criteria.events.length) return problem('INVALID_PARAMETER', 'MessageHeader.event names an event twice');

  const ages = seen.get('Patient.age') ?? [];
  if (ages.length > 2) return problem('INVALID_PARAMETER', 'Patient.age may appear at most twice');
  for (const age of ages) {
    const match = AGE.exec(age);
    if (!match) return problem('INVALID_PARAMETER', `Patient.age must be lt{years} or gt{years}, not '${age}'`);
    criteria.ages.push({ op: match[1] as AgeBound['op'], years: Number(match[2]) });
  }
  if (criteria.ages.length === 2 && criteria.ages[0]!.op === criteria.ages[1]!.op) return problem('INVALID_PARAMETER', 'Two Patient.age bounds must be one lt and one gt');

  const registration = once('GPRegistration');
  if (typeof registration === 'object') return registration;
  if (registration !== undefined) {
    if (registration !== 'RegisteredOnly' && registration !== 'UnregisteredOnly') return problem('INVALID_PARAMETER', 'GPRegistration must be RegisteredOnly or UnregisteredOnly');
    criteria.gpRegistration = registration;
  }

  const ruleType = once('subscriptionRuleType');
  if (typeof ruleType === 'object') return ruleType;
  const organisation = once('Organization.identifier');
  if (typeof organisation === 'object') return organisation;
  if (criteria.kind === 'explicit') {
    if (ruleType !== undefined || organisation !== undefined) return problem('INVALID_PARAMETER', 'An explicit subscription (Patient.identifier) takes no subscriptionRuleType or Organization.identifier');
  } else {
    if (ruleType === undefined) return problem('INVALID_PARAMETER', 'A subscription needs either Patient.identifier (explicit) or subscriptionRuleType (generic)');
    if (!(RULE_TYPES as readonly string[]).includes(ruleType)) return problem('INVALID_PARAMETER', `subscriptionRuleType must be one of ${RULE_TYPES.join(', ')}`);
    if (organisation === undefined) return problem('INVALID_PARAMETER', `subscriptionRuleType ${ruleType} needs Organization.identifier`);
    if (!ORG_CODE.test(organisation)) return problem('INVALID_PARAMETER', `Invalid Organization.identifier '${organisation}'`);
    if (ruleType === 'COUNTRYCODE' && !(COUNTRY_CODES as readonly string[]).includes(organisation)) {
      return problem('INVALID_PARAMETER', `COUNTRYCODE takes one of ${COUNTRY_CODES.join(', ')}`);
    }
    criteria.rule = { type: ruleType as RuleType, organisation: organisation.toUpperCase() };
    if (criteria.gpRegistration && (ruleType === 'GP_GP_GP' || ruleType === 'CHO_GP_CCG')) {
      return problem('INVALID_PARAMETER', `GPRegistration cannot be combined with ${ruleType} (the rule needs a registered GP)`);
    }
  }

  const tag = once('tag');
  if (typeof tag === 'object') return tag;
  if (tag !== undefined) {
    if (!TAG.test(tag)) return problem('INVALID_PARAMETER', 'tag must be 1 to 100 of letters, digits, - _ | ,');
    criteria.tag = tag;
  }
  return criteria;
}
