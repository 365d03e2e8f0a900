// The `--args` syntax of `kiln ir` (in process: no spawn needed).
import { describe, expect, it } from 'vitest';
import { parseArgSpecs } from '../../cli/arg-spec.ts';
import { UsageError } from '../../cli/command.ts';

describe('parseArgSpecs', () => {
  it('reads dtype[dims] lists, the dtype defaulting to f32', () => {
    expect(parseArgSpecs('f32[2,3],i32[5]')).toEqual([
      { dtype: 'f32', shape: [2, 3] },
      { dtype: 'i32', shape: [5] },
    ]);
    expect(parseArgSpecs('[2,3],[3]')).toEqual([
      { dtype: 'f32', shape: [2, 3] },
      { dtype: 'f32', shape: [3] },
    ]);
    expect(parseArgSpecs(' bool[ 4 , 1 ] , f64[] ,bf16[0]')).toEqual([
      { dtype: 'bool', shape: [4, 1] },
      { dtype: 'f64', shape: [] },
      { dtype: 'bf16', shape: [0] },
    ]);
    expect(parseArgSpecs('')).toEqual([]);
    expect(parseArgSpecs('  ')).toEqual([]);
  });

  it('rejects malformed specs with the column of the fault', () => {
    const cases: [string, RegExp][] = [
      ['f33[2]', /unknown dtype 'f33' \(dtypes: f32, f64, i32, bool, f16, bf16\) at column 1/],
      ['f32', /expected '\[', found end of input at column 4/],
      ['[2,]', /expected a dimension \(a non-negative integer\), found '\]' at column 4/],
      ['[-1]', /expected a dimension .*found '-' at column 2/],
      ['[2.5]', /expected ',' or '\]', found '\.' at column 3/],
      ['[2] [3]', /expected ',' between arguments, found '\[' at column 5/],
      ['[2],', /expected '\[', found end of input at column 5/],
      ['[2', /expected ',' or '\]', found end of input at column 3/],
    ];
    for (const [text, msg] of cases) {
      expect(() => parseArgSpecs(text), text).toThrow(UsageError);
      expect(() => parseArgSpecs(text), text).toThrow(msg);
    }
  });
});
