/**
 * The console's roles and pages: who may see what. A page a role may not see is neither linked in
 * its navigation nor served to it (403). Pure data, so the rule has one home.
 */
export const CONSOLE_ROLES = ['operator', 'privacy-officer', 'administrator', 'patient'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const ROLE_LABELS: Readonly<Record<ConsoleRole, string>> = {
  operator: 'Operator',
  'privacy-officer': 'Privacy officer',
  administrator: 'Administrator',
  patient: 'Patient',
};

export const PAGE_IDS = ['overview', 'messages', 'patients', 'records', 'audit', 'who-looked', 'directory'] as const;
export type PageId = (typeof PAGE_IDS)[number];

export interface Page {
  id: PageId;
  path: string;
  title: string;
  roles: readonly ConsoleRole[];
}

/** In navigation order. */
export const PAGES: readonly Page[] = [
  { id: 'overview', path: '/console/overview', title: 'Overview', roles: ['operator', 'administrator'] },
  { id: 'messages', path: '/console/messages', title: 'Messages', roles: ['operator', 'administrator'] },
  { id: 'patients', path: '/console/patients', title: 'Patient look-up', roles: ['operator', 'administrator'] },
  { id: 'records', path: '/console/records', title: 'Prescriptions and pointers', roles: ['operator', 'privacy-officer', 'patient'] },
  { id: 'audit', path: '/console/audit', title: 'Audit', roles: ['privacy-officer', 'administrator'] },
  { id: 'who-looked', path: '/console/who-looked', title: 'Who looked at a record', roles: ['privacy-officer', 'patient'] },
  { id: 'directory', path: '/console/directory', title: 'Directory', roles: ['administrator'] },
];

export function pageOf(id: PageId): Page {
  return PAGES.find((p) => p.id === id)!;
}

export function mayView(role: ConsoleRole, id: PageId): boolean {
  return pageOf(id).roles.includes(role);
}

export function pagesFor(role: ConsoleRole): Page[] {
  return PAGES.filter((p) => p.roles.includes(role));
}
