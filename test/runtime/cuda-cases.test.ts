// Recorded GPU cases (bench/gpu/cases.ts) keep the module's cubin through JSON (as base64), and
// cases recorded before cubins still read, without one.
import { describe, expect, it } from 'vitest';
import { encodeArray, parseCase, stringifyCase, type GpuCase } from '../../bench/gpu/cases.ts';
import { rng } from '../backends/helpers.ts';

const r = rng(31);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));

function gpuCase(cubin?: Uint8Array): GpuCase {
  const x = Float32Array.from({ length: 5 }, () => r());
  return {
    name: 'case',
    module: { arch: 'sm_90', producer: 'libnvvm', ptx: '// ptx', ...(cubin && { cubin }), kernels: [{ name: 'k', launch: { grid: [1, 1, 1], block: [32, 1, 1], sharedBytes: 0 } }] },
    program: { name: 'p', buffers: [], inputs: [], outputs: [], steps: [], arenaBytes: 0 },
    inputs: [encodeArray('f32', [5], x)],
    expected: [encodeArray('f32', [5], x.map((v) => v * NaN))],
    rtol: 1e-5,
    atol: 0,
  };
}

describe('gpu cases with cubins', () => {
  it('the cubin round-trips as base64; the rest is unchanged', () => {
    // A view into a larger buffer: only its own bytes are written.
    const cubin = bytes(300).subarray(17, 277);
    const c = gpuCase(cubin);
    const text = stringifyCase(c);
    expect(JSON.parse(text).module.cubin).toBe(Buffer.from(cubin).toString('base64'));
    const back = parseCase(text);
    expect(back.module.cubin).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.module.cubin!)).toEqual(Array.from(cubin));
    expect(back).toEqual({ ...c, module: { ...c.module, cubin: new Uint8Array(cubin) } });
  });

  it('a case without a cubin (recorded before them) reads back without one', () => {
    const c = gpuCase();
    const back = parseCase(stringifyCase(c));
    expect('cubin' in back.module).toBe(false);
    expect(back).toEqual(c);
    expect(() => parseCase(stringifyCase(c).replace('"ptx":', '"cubin":5,"ptx":'))).toThrow(/module.cubin is not a base64 string/);
  });
});
