/** The day's results file (`bench/results/<date>.json`), merged across the day's runs. */
export interface PreviousResults {
  date?: string; benches?: string[]; machine?: unknown; run?: unknown; ceilings?: unknown;
  runs?: unknown[]; scenarios?: Array<{ name: string; bench?: string }>; failed?: string[];
  [section: string]: unknown;
}

/**
 * One file per day, whatever ran that day: a later run replaces the scenarios (and sections such as
 * `capacity`, and failures) of the benches it ran, and keeps the others'. The top level describes the
 * latest run; `runs` lists every run of the day with its own machine load and ceilings, and each
 * scenario carries when it was measured and its ratios to the ceilings of its own run.
 */
export function mergeResults(previous: PreviousResults | undefined, run: { date: string; benches: string[] } & Record<string, unknown>,
  scenarios: Array<{ name: string; bench: string }>, extra: Record<string, unknown>, failed: string[],
): PreviousResults & { scenarios: Array<{ name: string; bench?: string }>; runs: unknown[]; failed: string[] } {
  const replaced = (bench: string | undefined, name: string) =>
    (bench !== undefined && run.benches.includes(bench)) || scenarios.some((s) => s.name === name);
  const earlierRuns = previous ? previous.runs ?? [{ date: previous.date, machine: previous.machine, run: previous.run, ceilings: previous.ceilings }] : [];
  const { date: _d, benches: _b, machine: _m, run: _r, ceilings: _c, runs: _runs, scenarios: earlierScenarios = [], failed: earlierFailed = [], ...earlierSections } = previous ?? {};
  return {
    ...run,
    scenarios: [...earlierScenarios.filter((s) => !replaced(s.bench, s.name)), ...scenarios],
    ...earlierSections,
    ...extra,
    failed: [...earlierFailed.filter((f) => !run.benches.includes(f.split(':')[0]!)), ...failed],
    runs: [...earlierRuns, run],
  };
}
