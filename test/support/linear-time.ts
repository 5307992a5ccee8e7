import { check } from 'recheck';

/**
 * Whether a regular expression runs in linear time on any value, by recheck (a ReDoS checker): its
 * exact analysis (of the pattern's automaton) first; where a pattern is beyond it (a lookahead),
 * its fuzzer, which builds attack strings and counts the steps they take. The fuzzer alone called
 * FHIR's dateTime pattern quadratic, which the exact analysis finds linear, as V8 runs it (2.5 MB
 * of the fuzzer's attack string in 51 ms).
 *
 * Neither has a time limit: recheck's own bounds on the work (the automaton's size, the fuzzer's
 * iterations and string sizes, from a fixed seed) make each verdict the same on an idle machine
 * and on a loaded one. With a time limit, FHIR's date pattern (12 s alone, over 120 s on two
 * shared cores) was 'unknown' under load, which fails the check though nothing had changed.
 */
export async function verdict(pattern: string, flags = 'u') {
  const exact = await check(pattern, flags, { checker: 'automaton', timeout: null });
  if (exact.status !== 'unknown' || exact.error.kind !== 'unsupported') return exact;
  return check(pattern, flags, { checker: 'fuzz', timeout: null, randomSeed: 0 });
}

/** Each expression that is not found linear, with why; [] when every one is. */
export async function notLinear(expressions: ReadonlyArray<{ pattern: string; flags?: string; at?: string }>): Promise<string[]> {
  const unsafe: string[] = [];
  for (const { pattern, flags, at } of expressions) {
    const diagnostics = await verdict(pattern, flags);
    if (diagnostics.status === 'safe') continue;
    const why = diagnostics.status === 'vulnerable'
      ? `${diagnostics.complexity.summary} (${diagnostics.checker}), e.g. ${diagnostics.attack.pattern}` : `${diagnostics.status} (${JSON.stringify(diagnostics.error)})`;
    unsafe.push(`/${pattern}/${flags ?? 'u'}${at ? ` (${at})` : ''}: ${why}`);
  }
  return unsafe;
}
