// The `--args` syntax of `kiln ir`: abstract arguments as a comma-separated list of types.
//
//   spec  := type (',' type)*
//   type  := dtype? '[' (dim (',' dim)*)? ']'      dtype defaults to f32; `[]` is a scalar
//   dtype := f32 | f64 | i32 | bool | f16 | bf16
//   dim   := a non-negative integer
//
// Examples: `f32[2,3],i32[5]`, `[2,3],[3]`, `f64[]`. Whitespace is allowed anywhere.
import { DTYPES, isDType, type DType } from '../compiler/ir/dtype.ts';
import { UsageError } from './command.ts';

export interface ArgSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Parses an `--args` value; a malformed one is a UsageError that points at the column. */
export function parseArgSpecs(text: string): ArgSpec[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new UsageError(`--args: ${what} at column ${i + 1} of '${text}' (expected e.g. 'f32[2,3],i32[5]')`, 'ir');
  };
  const skipWs = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const found = () => (i < text.length ? `'${text[i]}'` : 'end of input');
  const specs: ArgSpec[] = [];
  skipWs();
  if (i === text.length) return specs; // no arguments
  for (;;) {
    skipWs();
    const start = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
    const word = text.slice(start, i);
    let dtype: DType = 'f32';
    if (word) {
      if (!isDType(word)) {
        i = start;
        fail(`unknown dtype '${word}' (dtypes: ${DTYPES.join(', ')})`);
      }
      dtype = word as DType;
    }
    skipWs();
    if (text[i] !== '[') fail(`expected '[', found ${found()}`);
    i++;
    const shape: number[] = [];
    skipWs();
    if (text[i] === ']') i++;
    else {
      for (;;) {
        skipWs();
        const m = /^\d+/.exec(text.slice(i));
        if (!m) fail(`expected a dimension (a non-negative integer), found ${found()}`);
        shape.push(Number(m![0]));
        i += m![0].length;
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          break;
        }
        fail(`expected ',' or ']', found ${found()}`);
      }
    }
    specs.push({ shape, dtype });
    skipWs();
    if (i === text.length) return specs;
    if (text[i] !== ',') fail(`expected ',' between arguments, found ${found()}`);
    i++;
  }
}

/** `f32[2,3]` */
export function argSpecToString(s: ArgSpec): string {
  return `${s.dtype}[${s.shape.join(',')}]`;
}
