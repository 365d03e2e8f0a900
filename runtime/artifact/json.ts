// JSON that round-trips non-finite numbers: constant data baked into executables may hold NaN
// and ±Infinity, which JSON cannot. They are written as the strings "NaN", "Infinity" and
// "-Infinity" and read back as numbers. Writers must not use these three strings as names
// (packaging rejects them), since every string value equal to one is read as a number.

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

/** JSON.stringify, with non-finite numbers as the strings "NaN", "Infinity", "-Infinity". */
export function stringifyNonFinite(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** JSON.parse, reading the strings "NaN", "Infinity", "-Infinity" back as numbers. */
export function parseNonFinite(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v));
}

/** Whether a name would not survive the round trip (it would be read back as a number). */
export function isNonFiniteName(s: string): boolean {
  return NON_FINITE.has(s);
}
