export interface BundleEntry<R> {
  fullUrl: string;
  search?: { score?: number; mode?: 'match' | 'include' };
  resource: R;
}

export interface SearchsetBundle<R> {
  resourceType: 'Bundle';
  type: 'searchset';
  timestamp: string;
  total: number;
  entry?: BundleEntry<R>[];
  link?: Array<{ relation: string; url: string }>;
}

export function searchset<R>(entries: BundleEntry<R>[], options: { total?: number; self?: string; now?: Date } = {}): SearchsetBundle<R> {
  const bundle: SearchsetBundle<R> = {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: (options.now ?? new Date()).toISOString(),
    total: options.total ?? entries.length,
  };
  if (options.self) bundle.link = [{ relation: 'self', url: options.self }];
  if (entries.length > 0) bundle.entry = entries;
  return bundle;
}
