// Helpers for IR text in tests.
import type { TracedFunction } from '../../index.ts';

/**
 * The IR text with the line:column of every `loc(...)` replaced by `L:C`, so inline
 * snapshots do not change whenever lines above them move. The file name is kept; the exact
 * lines are checked separately (trace.test.ts, "locations").
 */
export function irText(ir: TracedFunction | string): string {
  return String(ir).replace(/loc\(("[^"]*"):\d+:\d+\)/g, 'loc($1:L:C)');
}

/** The line number of the caller of `here()` (the line in the test file that calls it). */
export function here(): number {
  const line = new Error().stack?.split('\n')[2] ?? '';
  const m = /:(\d+):\d+\)?$/.exec(line.trim());
  if (!m) throw new Error(`here(): cannot read a line number from '${line}'`);
  return Number(m[1]);
}
