// The PTX code generator end to end without a GPU: kernels of every kind and dtype are mapped,
// emitted as NVVM IR, compiled by libnvvm (and by the llc-14 fallback) and assembled by
// `ptxas -arch=sm_90`; a failure names the kernel and quotes the PTX line. Plus the `ptx` stage
// of `kiln ir`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { assemblePtx, compileGpuKernels, emitNvvmModule, explainPtxas, findPtxas, producerAvailable, PtxasError } from '../../compiler/codegen/ptx/index.ts';
import { mapLoopKernel, type GpuKernel } from '../../compiler/gpu/index.ts';
import { parseModule } from '../../compiler/ir/parse.ts';
import { findStage } from '../../cli/stages.ts';
import { loopKernelsOf } from '../gpu/harness.ts';

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => k.shapeDtype(shape, dtype);
const cache = mkdtempSync(join(tmpdir(), 'kiln-ptx-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** Kernels covering the kinds, dtypes and scalar operations. */
function suite(): GpuKernel[] {
  const unary = (x: T) => [x.exp(), x.log(), k.log1p(x), k.expm1(x), x.sqrt(), k.rsqrt(x), x.sin(), x.cos(), x.tanh(), k.sigmoid(x), x.floor(), x.ceil(), x.round(), x.abs(), x.neg(), x.sign()];
  const fns: [string, () => ReturnType<typeof loopKernelsOf>][] = [
    ['unary f32', () => loopKernelsOf((x: T) => unary(x), S([4, 5]))],
    ['unary f64', () => loopKernelsOf((x: T) => unary(x), S([4, 5], 'f64'))],
    ['unary f16', () => loopKernelsOf((x: T) => unary(x), S([4, 5], 'f16'))],
    ['unary bf16', () => loopKernelsOf((x: T) => unary(x), S([4, 5], 'bf16'))],
    ['binary and compare', () => loopKernelsOf((a: T, b: T) => [a.pow(b), a.maximum(b), a.minimum(b), a.div(b), a.less(b), a.notEqual(b), k.where(a.greater(b), a, b)], S([3, 7]), S([3, 7]))],
    ['i32 and bool', () => loopKernelsOf((a: T, b: T) => [a.div(b), a.pow(b), a.maximum(b), k.logicalAnd(a.greater(0), b.less(0)), a.astype('f32'), a.astype('f32').div(3).astype('i32'), k.take(a.astype('f32'), b, 0)], S([6], 'i32'), S([6], 'i32'))],
    ['reductions', () => loopKernelsOf((a: T) => [a.sum({ axis: 1 }), a.max({ axis: 0 }), k.argmax(a, { axis: 1 }), a.sum(), k.cumsum(a, 0)], S([50, 70]))],
    ['matmul and sort', () => loopKernelsOf((a: T, b: T) => [a.matmul(b), k.sort(a), k.argsort(b, 0)], S([20, 30]), S([30, 10]))],
    ['random', () => loopKernelsOf(() => k.random.normal(k.random.key(1), [40, 30]))],
    ['large elementwise', () => loopKernelsOf((a: T) => a.mul(2).add(1), S([1 << 22]))],
    ['tiled matmul f32 and f64, edges, transposes, batch', () => loopKernelsOf((a: T, b: T, c: T, d: T) => [a.matmul(b), a.T.matmul(b.T), c.matmul(d)], S([130, 130]), S([130, 130]), S([3, 64, 40], 'f64'), S([3, 40, 72], 'f64'))],
    ['tiled matmul 4096 (128x128 tiles)', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([4096, 4096]), S([4096, 4096]))],
    ['long reductions f32 (two launches)', () => loopKernelsOf((a: T) => [a.sum(), k.argmax(a, { axis: 0 }), a.max()], S([1 << 20]))],
    ['column reductions', () => loopKernelsOf((a: T, b: T) => [a.sum({ axis: 0 }), a.mean({ axis: 0 }).exp(), b.max({ axis: 0 }), b.sum({ axis: 1 })], S([4096, 300]), S([3, 5000, 16], 'i32'))],
    ['long reductions f64, i32, bool, f16', () => loopKernelsOf((a: T, b: T, c: T) => [a.sum({ axis: 1 }), k.argmin(a, { axis: 1 }), b.prod(), b.greater(0).any(), c.sum(), c.max({ axis: 1 })], S([4, 3000], 'f64'), S([20000], 'i32'), S([8, 4000], 'f16'))],
  ];
  return fns.flatMap(([, f], i) => f().flatMap((lk) => mapLoopKernel({ ...lk, name: `c${i}_${lk.name}` }, { scratch: true })));
}

const ptxasPresent = findPtxas() !== null;

describe.runIf(ptxasPresent && producerAvailable('libnvvm'))('libnvvm PTX assembles with ptxas', () => {
  it('every kernel of the suite, one module, sm_90', () => {
    const r = compileGpuKernels(suite(), { cacheDir: cache, producer: 'libnvvm' });
    expect(r.arch).toBe('sm_90');
    expect(r.ptx).toMatch(/\.target sm_90/);
    expect(r.ptx).not.toMatch(/__nvvm_reflect|call\.uni[^;]*__nv_/); // libdevice linked in and inlined
    // Block reductions shuffle within warps; the tiled matmul reads shared memory 128 bits at a
    // time; aligned elementwise launches load and store 128 bits.
    expect(r.ptx).toMatch(/shfl\.sync\.bfly\.b32/);
    expect(r.ptx).toMatch(/ld\.shared\.v4\.f32/);
    expect(r.ptx).toMatch(/ld\.global\.v4\.f32/);
    expect(r.ptx).toMatch(/st\.global\.v4\.f32/);
    // Thread locals (accumulators, tiles' registers) live in registers (libdevice's sin and cos
    // keep a local array of their own).
    const entries = r.ptx.split(/\n(?=[.\w ]*\.(?:entry|func)\b)/).filter((e) => /^\.visible \.entry \w+_(reduce|matmul)/.test(e));
    expect(entries.length).toBeGreaterThan(5);
    for (const e of entries) expect(e, e.slice(0, 60)).not.toMatch(/\.local/);
    expect(() => assemblePtx(r.ptx, 'sm_90', cache)).not.toThrow();
    // The second compilation of the same module is a cache hit.
    expect(compileGpuKernels(suite(), { cacheDir: cache, producer: 'libnvvm' }).cached).toBe(true);
  });
});

describe.runIf(ptxasPresent && producerAvailable('llc-14'))('llc-14 PTX (fallback) assembles with ptxas', () => {
  it('every kernel of the suite, sm_86 / PTX 7.5', () => {
    const r = compileGpuKernels(suite(), { cacheDir: cache, producer: 'llc-14' });
    expect(r.arch).toBe('sm_86');
    expect(r.ptx).toMatch(/\.version 7\.5/);
    expect(r.ptx).not.toMatch(/__nvvm_reflect/);
    expect(() => assemblePtx(r.ptx, 'sm_90', cache)).not.toThrow();
  });
});

describe('ptxas failures name the kernel and the PTX line', () => {
  const ptx = ['.version 8.0', '.target sm_90', '.address_size 64', '.visible .entry good()', '{', '  ret;', '}', '.visible .entry broken()', '{', '  bogus.instr %r1;', '  ret;', '}'].join('\n');
  it('explainPtxas maps line numbers to kernels', () => {
    const msg = explainPtxas(ptx, "ptxas /tmp/k.ptx, line 10; error   : Unknown symbol 'bogus'\nptxas fatal   : Ptx assembly aborted due to errors");
    expect(msg).toContain('kernel broken, PTX line 10');
    expect(msg).toContain('bogus.instr %r1;');
  });
  it.runIf(ptxasPresent)('assemblePtx throws a PtxasError naming the kernel', () => {
    expect(() => assemblePtx(ptx, 'sm_90', cache)).toThrow(PtxasError);
    expect(() => assemblePtx(ptx, 'sm_90', cache)).toThrow(/kernel broken, PTX line 10/);
  });
});

describe('NVVM IR text', () => {
  it('marks kernels, uses global pointers and the NVVM data layout', () => {
    const [lk] = loopKernelsOf((a: T) => a.exp(), S([100]));
    const ir = emitNvvmModule(mapLoopKernel({ ...lk!, name: 'kexp' }));
    expect(ir).toContain('target triple = "nvptx64-nvidia-cuda"');
    expect(ir).toMatch(/define void @kexp\(float addrspace\(1\)\* %p0, float addrspace\(1\)\* %p1\)/);
    expect(ir).toMatch(/!\{void \(float addrspace\(1\)\*, float addrspace\(1\)\*\)\* @kexp, !"kernel", i32 1\}/);
    expect(ir).toContain('@__nv_expf');
    expect(ir).not.toMatch(/\bfneg\b|llvm\.roundeven|fptosi\.sat/); // not in libnvvm's LLVM 7 dialect
  });
});

describe.runIf(ptxasPresent && (producerAvailable('libnvvm') || producerAvailable('llc-14')))('kiln ir --stage ptx', () => {
  it('prints the launch shapes and the PTX of every kernel', async () => {
    const funcs = parseModule('func @scale(%x: f32[3]) -> (f32[3]) {\n  %c = constant {shape=[3], dtype=f32, data=[2]} : f32[3]\n  %y = mul %x, %c : f32[3]\n  return %y\n}\n');
    const text = await findStage('ptx').run({ funcs, source: 'x.kir' });
    expect(text).toMatch(/^\/\/ PTX for sm_\d+ by (libnvvm|llc-14)\n\/\/ f0_k0_elementwise: grid \[1, 1, 1\], block \[32, 1, 1\]\n/);
    expect(text).toMatch(/\.visible \.entry f0_k0_elementwise\(/);
    expect(text).toMatch(/\.target sm_\d+/);
  });
});
