// The `--args` values of `kiln compile` and `kiln ir`: shapes for tensor parameters whose type
// leaves a dimension open, and values for static parameters.
//
//   args  := item (',' item)*
//   item  := name '=' value                 named: a parameter, or a path inside one
//          | value                          positional: the parameters in order (one entry)
//   name  := [entry '.'] param ('.' key)*   e.g. x, predict.x, params.W1, pair.0
//   value := dtype? '[' dims ']'            a tensor's full shape: [1000,784], i32[5], []
//          | number | true | false          a static argument
//          | 'text' | "text" | word         a static string
//
// Examples: `x=[1000,784]`, `predict.x=[1000,784],trainStep.lr=0.1`, `[2,3],[3]`.
import { DTYPES, isDType, type DType } from '../ir/dtype.ts';
import { CompileError } from './errors.ts';
import type { StaticValue } from './signature.ts';

export type OverrideValue =
  | { readonly kind: 'shape'; readonly shape: readonly number[]; readonly dtype?: DType }
  | { readonly kind: 'static'; readonly value: StaticValue };

export interface Override {
  /** The dotted name before `=`; undefined for a positional item. */
  readonly name?: string;
  readonly value: OverrideValue;
  /** The item as written, for messages. */
  readonly text: string;
}

/** A malformed `--args` value. */
export class ArgsError extends CompileError {
  override name = 'ArgsError';
}

/** Splits at commas outside brackets and quotes. */
function splitItems(text: string): { item: string; col: number }[] {
  const items: { item: string; col: number }[] = [];
  let depth = 0, quote = '', start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if ((c === ',' && depth === 0) || c === undefined) {
      items.push({ item: text.slice(start, i), col: start + 1 });
      start = i + 1;
    }
  }
  return items;
}

/** Parses an `--args` value. */
export function parseOverrides(text: string): Override[] {
  if (text.trim() === '') return [];
  const out = splitItems(text).map(({ item, col }) => parseItem(item, col, text));
  const named = out.filter((o) => o.name !== undefined).length;
  if (named > 0 && named < out.length) {
    throw new ArgsError(`--args: give every item by name (x=[2,3]) or every item by position ([2,3]), not a mix: '${text}'`);
  }
  return out;
}

function parseItem(item: string, col: number, whole: string): Override {
  const fail = (what: string): never => {
    throw new ArgsError(`--args: ${what} in '${item.trim()}' (column ${col} of '${whole}'; expected e.g. x=[1000,784], lr=0.1 or f32[2,3])`);
  };
  const eq = /^\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*=(.*)$/s.exec(item);
  const name = eq?.[1];
  const v = (eq ? eq[2]! : item).trim();
  if (v === '') fail('a missing value');
  const shape = /^([A-Za-z0-9]*)\s*\[(.*)\]$/s.exec(v);
  let value: OverrideValue;
  if (shape) {
    const dt = shape[1]!;
    if (dt && !isDType(dt)) fail(`unknown dtype '${dt}' (dtypes: ${DTYPES.join(', ')})`);
    const body = shape[2]!.trim();
    const dims = body === '' ? [] : body.split(',').map((d) => d.trim());
    for (const d of dims) if (!/^\d+$/.test(d)) fail(`'${d}' is not a dimension (a non-negative integer)`);
    value = { kind: 'shape', shape: dims.map(Number), ...(dt ? { dtype: dt as DType } : {}) };
  } else if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v)) value = { kind: 'static', value: Number(v) };
  else if (v === 'true' || v === 'false') value = { kind: 'static', value: v === 'true' };
  else if (/^'[^']*'$|^"[^"]*"$/.test(v)) value = { kind: 'static', value: v.slice(1, -1) };
  else if (/^[A-Za-z_][\w-]*$/.test(v)) value = { kind: 'static', value: v };
  else value = fail(`cannot read the value '${v}'`);
  return { ...(name !== undefined ? { name } : {}), value, text: item.trim() };
}

export function overrideValueToString(v: OverrideValue): string {
  return v.kind === 'shape' ? `${v.dtype ?? ''}[${v.shape.join(',')}]` : JSON.stringify(v.value);
}
