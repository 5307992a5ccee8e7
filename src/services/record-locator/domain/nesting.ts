/**
 * How deep a parsed JSON body nests. A body thousands of levels deep parses, but serialising it
 * (to store it, or to quote it in an error) exhausts the stack: the routes that take free-form or
 * flat bodies refuse one past their depth before anything else reads it.
 */

/** Whether `value` nests objects and arrays deeper than `limit` levels; iterative, so any depth is safe to measure. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}
