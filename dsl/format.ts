// NumPy-style printing of arrays: aligned columns, `1.` for integral floats, summarised with
// `...` past 1000 elements (NumPy's threshold), three items at each edge.
import { isFloat, type DType, type HostArray } from '../compiler/ir/dtype.ts';
import { roundBF16, roundF16 } from '../compiler/ir/numeric.ts';

const THRESHOLD = 1000;
const EDGE = 3;

function formatFloats(xs: number[], fround: (x: number) => number): string[] {
  const finite = xs.filter(Number.isFinite);
  const maxAbs = finite.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const minAbs = finite.filter((x) => x !== 0).reduce((m, x) => Math.min(m, Math.abs(x)), Infinity);
  // NumPy's rule for switching to scientific notation.
  const scientific = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || (minAbs !== Infinity && maxAbs / minAbs > 1e3);
  const special = (x: number) => (Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf');
  if (scientific) {
    // Mantissa digits: the fewest that give every value back (at most 8), shared by all.
    const need = finite.map((x) => {
      for (let d = 0; d < 8; d++) if (fround(Number(x.toExponential(d))) === x) return d;
      return 8;
    });
    const digits = Math.max(0, ...need);
    return xs.map((x) => {
      if (!Number.isFinite(x)) return special(x);
      const [m, e] = x.toExponential(digits).split('e') as [string, string];
      const exp = Number(e);
      return `${m.includes('.') ? m : `${m}.`}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    });
  }
  // Fraction digits: the fewest (at most 8, NumPy's precision) that give the value back.
  const digits = xs.map((x) => {
    if (!Number.isFinite(x)) return 0;
    for (let d = 0; d < 8; d++) if (fround(Number(x.toFixed(d))) === x) return d;
    return 8;
  });
  const prec = Math.max(0, ...digits);
  return xs.map((x, i) => {
    if (!Number.isFinite(x)) return special(x);
    if (prec === 0) return `${Object.is(x, -0) ? '-0' : x.toFixed(0)}.`;
    // NumPy pads fractional digits with spaces, not zeros, to align the dots.
    const s = x.toFixed(digits[i]!);
    const withDot = s.includes('.') ? s : `${s}.`;
    const frac = withDot.length - withDot.indexOf('.') - 1;
    return withDot + ' '.repeat(prec - frac);
  });
}

function formatScalars(data: HostArray, dtype: DType): string[] {
  const xs = Array.from(data, Number);
  if (dtype === 'bool') return xs.map((x) => (x ? ' True' : 'False'));
  if (isFloat(dtype)) return formatFloats(xs, roundingOf(dtype));
  return xs.map(String);
}

/** Rounding to the dtype's precision: digits are printed until the value comes back. */
function roundingOf(d: DType): (x: number) => number {
  return d === 'f64' ? (x) => x : d === 'f16' ? roundF16 : d === 'bf16' ? roundBF16 : Math.fround;
}

/** A 0-d float as NumPy prints a scalar: the shortest digits that give it back (`7.0`, `1e+20`). */
function formatFloatScalar(x: number, d: DType): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const round = roundingOf(d);
  let m = x;
  for (let p = 1; p <= 17; p++) {
    const t = Number(x.toPrecision(p));
    if (round(t) === x) {
      m = t;
      break;
    }
  }
  if (Object.is(x, -0)) return '-0.0';
  // NumPy uses exponent notation from 1e16 and below 1e-4, with two exponent digits at least.
  if (Math.abs(m) >= 1e16 || (m !== 0 && Math.abs(m) < 1e-4)) {
    return m.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  const s = String(m);
  return s.includes('.') ? s : `${s}.0`;
}

/** Formats a row-major array with the given shape as NumPy's `str()` does. */
export function formatArray(data: HostArray, shape: readonly number[], dtype: DType): string {
  if (shape.length === 0 && isFloat(dtype)) return formatFloatScalar(data[0]!, dtype);
  if (data.length === 0) return '[]';
  const summarise = data.length > THRESHOLD;
  // Which flat indices are printed: with summarising, only EDGE items at each end of each axis.
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const shown: number[] = [];
  const walk = (axis: number, offset: number) => {
    if (axis === shape.length) {
      shown.push(offset);
      return;
    }
    const n = shape[axis]!;
    for (const i of axisItems(n)) walk(axis + 1, offset + i * strides[axis]!);
  };
  const axisItems = (n: number): number[] =>
    summarise && n > 2 * EDGE ? [...range(0, EDGE), ...range(n - EDGE, n)] : range(0, n);
  walk(0, 0);
  const picked = new (data.constructor as new (n: number) => HostArray)(shown.length);
  shown.forEach((j, i) => (picked[i] = data[j]!));
  const strs = formatScalars(picked, dtype);
  const width = Math.max(0, ...strs.map((s) => s.length));
  let k = 0;
  const render = (axis: number, indent: string): string => {
    if (axis === shape.length) return strs[k++]!.padStart(width);
    const n = shape[axis]!;
    const parts: string[] = [];
    axisItems(n).forEach((_, j) => {
      parts.push(render(axis + 1, indent + ' '));
      if (summarise && n > 2 * EDGE && j === EDGE - 1) parts.push('...');
    });
    if (axis === shape.length - 1) return wrapRow(parts, indent);
    const blank = '\n'.repeat(shape.length - axis - 1);
    return `[${parts.join(`${blank}${indent} `)}]`;
  };
  if (shape.length === 0) return strs[0]!.trim();
  return render(0, '');
}

function range(a: number, b: number): number[] {
  const r: number[] = [];
  for (let i = a; i < b; i++) r.push(i);
  return r;
}

const LINE_WIDTH = 75;

/** `[a b c]`, continued on new lines (aligned after the bracket) past NumPy's 75 columns. */
function wrapRow(parts: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    const candidate = line === '' ? p : `${line} ${p}`;
    if (line !== '' && indent.length + 1 + candidate.length + 1 > LINE_WIDTH) {
      lines.push(line);
      line = p;
    } else line = candidate;
  }
  lines.push(line);
  return `[${lines.map((l, i) => (i < lines.length - 1 ? l.trimEnd() : l)).join(`\n${indent} `)}]`;
}
