/**
 * The inbox `workflow_filter` (spec, "Check an inbox"): `WORKFLOW1` equals, `!WORKFLOW1` does not
 * equal, `WORKFL*` begins with, `!WORKFL*` does not begin with, `*_ACK*` contains, `!*_ACK*` does not
 * contain. Between 2 and 255 characters.
 */
export interface WorkflowFilter {
  negate: boolean;
  kind: 'equals' | 'begins' | 'contains';
  text: string;
}

export function parseWorkflowFilter(raw: string): WorkflowFilter | undefined {
  if (raw.length < 2 || raw.length > 255) return undefined;
  let rest = raw;
  const negate = rest.startsWith('!');
  if (negate) rest = rest.slice(1);
  let kind: WorkflowFilter['kind'] = 'equals';
  if (rest.startsWith('*') && rest.endsWith('*') && rest.length >= 2) {
    kind = 'contains';
    rest = rest.slice(1, -1);
  } else if (rest.endsWith('*')) {
    kind = 'begins';
    rest = rest.slice(0, -1);
  }
  if (rest.length === 0 || rest.includes('*')) return undefined;
  return { negate, kind, text: rest };
}

/** The same test in TypeScript, for the property tests and for anything filtering in memory. */
export function workflowMatches(filter: WorkflowFilter, workflowId: string): boolean {
  const hit = filter.kind === 'equals' ? workflowId === filter.text
    : filter.kind === 'begins' ? workflowId.startsWith(filter.text)
      : workflowId.includes(filter.text);
  return filter.negate ? !hit : hit;
}

/** A LIKE pattern for the filter, with LIKE's own wildcards escaped (escape character `\`). */
export function workflowLikePattern(filter: WorkflowFilter): string {
  const escaped = filter.text.replace(/[\\%_]/g, (c) => `\\${c}`);
  return filter.kind === 'equals' ? escaped : filter.kind === 'begins' ? `${escaped}%` : `%${escaped}%`;
}
