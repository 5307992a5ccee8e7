/** FHIR OperationOutcome in the shape NHS England's FHIR APIs return (API-NOTES.md §0). */
export const SPINE_ERROR_SYSTEM = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode';

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export interface OperationOutcomeIssue {
  severity: IssueSeverity;
  code: string;
  details: { coding: Array<{ system: string; version: string; code: string; display: string }> };
  diagnostics?: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  id?: string;
  meta?: { profile: string[] };
  issue: OperationOutcomeIssue[];
}

export interface OutcomeInput {
  code: string;
  display: string;
  issueCode: string;
  severity?: IssueSeverity;
  system?: string;
  diagnostics?: string;
  expression?: string[];
}

export function operationOutcome(input: OutcomeInput): OperationOutcome {
  const issue: OperationOutcomeIssue = {
    severity: input.severity ?? 'error',
    code: input.issueCode,
    details: {
      coding: [{ system: input.system ?? SPINE_ERROR_SYSTEM, version: '1', code: input.code, display: input.display }],
    },
  };
  if (input.diagnostics !== undefined) issue.diagnostics = input.diagnostics;
  if (input.expression) issue.expression = input.expression;
  return { resourceType: 'OperationOutcome', issue: [issue] };
}
