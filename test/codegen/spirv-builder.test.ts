// The SPIR-V module builder and code generator without a device: binary layout (header,
// strings, deduplicated types and constants), the fallback disassembler, and the modules of a
// spread of kernels validated by spirv-val (--target-env vulkan1.1) where it is installed.
import { describe, expect, it } from 'vitest';
import { Primitive } from '../../compiler/ir/primitives.ts';
import * as k from '../../index.ts';
import { emitKernel, SpirvError, SpirvModule, validateSpirv } from '../../compiler/codegen/spirv/index.ts';
import { stringWords } from '../../compiler/codegen/spirv/builder.ts';
import { packParams } from '../../compiler/codegen/spirv/emit.ts';
import { MAGIC, Op, VERSION_1_3 } from '../../compiler/codegen/spirv/spec.ts';
import { minimalDisassembly } from '../../compiler/codegen/spirv/tools.ts';
import { compileForVulkan } from '../../compiler/pipeline.ts';
import type { LoopKernel } from '../../compiler/lower/loop-ir.ts';
import { spirvProblem, spirvValPresent } from './spirv-helpers.ts';

const S = (shape: number[], dtype: k.DType = 'f32') => new k.ShapeDtype(shape, dtype);

/** Traces `f` on abstract arguments and compiles it for Vulkan. */
function compile(f: (...a: never[]) => unknown, args: k.ShapeDtype[], opts: Parameters<typeof compileForVulkan>[1] = {}) {
  return compileForVulkan([k.makeIR(f as (...a: unknown[]) => unknown)(...args).func], opts);
}

describe('SPIR-V builder', () => {
  it('encodes strings NUL-terminated and padded to words, little-endian', () => {
    expect(stringWords('')).toEqual([0]);
    expect(stringWords('abc')).toEqual([0x00636261]);
    expect(stringWords('abcd')).toEqual([0x64636261, 0]);
  });

  it('writes the header and deduplicates types and constants', () => {
    const m = new SpirvModule();
    const i32 = m.typeInt(32, true);
    expect(m.typeInt(32, true)).toBe(i32);
    expect(m.typeInt(32, false)).not.toBe(i32);
    expect(m.constant(i32, 7)).toBe(m.constant(i32, 7));
    expect(m.constF32(0)).not.toBe(m.constF32(-0));
    const f = m.voidFunction('main');
    m.entryPoint(f.id, 'main', []);
    m.localSize(f.id, 1, 1, 1);
    f.terminate(Op.Return, []);
    const w = m.words();
    expect([w[0], w[1], w[4]]).toEqual([MAGIC, VERSION_1_3, 0]);
    expect(w[3]).toBeGreaterThan(i32); // the bound exceeds every id
    const dis = minimalDisassembly(w);
    expect(dis).toContain('OpEntryPoint 5 ');
    expect(dis).toContain('"main"');
    expect(dis).toContain('OpReturn');
    if (spirvValPresent) expect(validateSpirv(w)).toEqual({ ok: true, message: '' });
  });

  it('refuses a block started before the previous one ended', () => {
    const m = new SpirvModule();
    const f = m.voidFunction();
    expect(() => f.label(m.id())).toThrow(SpirvError);
  });
});

describe('SPIR-V code generator', () => {
  const cases: [string, (...a: never[]) => unknown, k.ShapeDtype[]][] = [
    ['softmax', (x: k.Tensor) => { const e = x.sub(x.max({ axis: -1, keepdims: true })).exp(); return e.div(e.sum({ axis: -1, keepdims: true })); }, [S([8, 50])]],
    ['dense', (x: k.Tensor, w: k.Tensor, b: k.Tensor) => k.relu(x.matmul(w).add(b)), [S([4, 5]), S([5, 3]), S([3])]],
    ['sort', (x: k.Tensor) => [k.sort(x), k.argsort(x)], [S([6, 7])]],
    ['elementwise', (x: k.Tensor, y: k.Tensor) => [x.tanh(), x.pow(y), x.log1p(), x.sigmoid(), x.greater(y), x.astype('i32'), x.astype('f16').add(1), x.astype('bf16').mul(3), x.div(0), x.mul(0)], [S([5, 7]), S([5, 7])]],
    ['f64', (x: k.Tensor) => [x.exp(), x.sin(), x.log(), x.cos(), x.tanh(), x.expm1(), x.pow(x), x.maximum(0)], [S([10], 'f64')]],
    ['integers', (a: k.Tensor, b: k.Tensor) => [a.add(b), a.mul(b), a.maximum(b), a.equal(b), a.sum(), a.cumsum()], [S([9], 'i32'), S([9], 'i32')]],
    ['bool', (a: k.Tensor, b: k.Tensor) => [a.logicalAnd(b), a.logicalNot(), a.astype('f32')], [S([13], 'bool'), S([13], 'bool')]],
    ['random', (x: k.Tensor) => k.random.uniform(k.random.key(3), [64]).add(x), [S([64])]],
    ['reductions', (x: k.Tensor) => [x.sum(), x.max({ axis: 0 }), x.argmax({ axis: 1 }), x.prod({ axis: 1 })], [S([70, 30])]],
  ];

  it.runIf(spirvValPresent)('every module of a spread of kernels passes spirv-val', () => {
    const problems: string[] = [];
    for (const [name, f, args] of cases) {
      const c = compile(f, args);
      for (const kern of c.module.kernels) {
        const p = spirvProblem(`${name}/${kern.name}`, kern.spirv);
        if (p) problems.push(p);
      }
      expect(c.module.kernels.every((kern) => kern.dispatches.length > 0), name).toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('kiln ir --stage spirv prints every kernel\'s dispatches and disassembly', async () => {
    const { findStage } = await import('../../cli/stages.ts');
    const fn = k.makeIR((x: k.Tensor) => x.exp().sum())(S([300])).func;
    const text = await findStage('spirv').run({ funcs: [fn], source: 'test' });
    expect(text).toMatch(/^; kernel f0_k0_\w+: dispatches /m);
    expect(text).toContain('OpEntryPoint GLCompute');
    expect(text).toContain('LocalSize');
  });

  it('names the kernel and the dtype when the device has no 64-bit floats', () => {
    expect(() => compile((x: k.Tensor) => x.exp(), [S([4], 'f64')], { float64: false })).toThrow(/kernel f0_k0_\w+: .*f64.*shaderFloat64/);
    expect(compile((x: k.Tensor) => x.exp(), [S([4], 'f64')]).module.requires.float64).toBe(true);
    expect(compile((x: k.Tensor) => x.exp(), [S([4])]).module.requires.float64).toBe(false);
  });

  it('packs parameters into one buffer per storage type beyond the binding limit', () => {
    const many = (x: k.Tensor) => Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? x.greater(i) : i % 3 === 1 ? x.add(i) : x.astype('i32').add(i)));
    const c = compile(many, [S([5])], { maxBindings: 4 });
    const kern = c.module.kernels[0]!;
    expect(kern.bindings).toHaveLength(13); // the input and 12 outputs
    expect(kern.packing?.buffers.map((b) => b.storage).sort()).toEqual(['f32', 'i32', 'u8x4']);
    const lk: LoopKernel = { name: 'p', body: [], params: [
      { name: 'a', dtype: 'bool', size: 5, role: 'in' }, { name: 'b', dtype: 'bool', size: 3, role: 'out' }, { name: 'c', dtype: 'f32', size: 2, role: 'out' },
    ] };
    // Bool regions start at a word.
    expect(packParams(lk).place).toEqual([{ binding: 0, offset: 0 }, { binding: 0, offset: 8 }, { binding: 1, offset: 0 }]);
    if (spirvValPresent) expect(spirvProblem(kern.name, kern.spirv)).toBe('');
  });

  it('guards kernels that may reach a loop cap with a status binding', () => {
    const lk: LoopKernel = {
      name: 'serial', params: [{ name: 'n', dtype: 'i32', size: 1, role: 'in' }, { name: 'out', dtype: 'i32', size: 1, role: 'out' }],
      body: [
        { k: 'decl', name: 'acc', t: 'i32', init: { k: 'const', t: 'i32', v: 0 } },
        { k: 'for', v: 'i', n: { k: 'load', t: 'i32', buf: 0, idx: { k: 'const', t: 'index', v: 0 } }, body: [
          { k: 'assign', name: 'acc', e: { k: 'binary', t: 'i32', op: Primitive.Add, a: { k: 'var', t: 'i32', name: 'acc' }, b: { k: 'const', t: 'i32', v: 1 } } },
        ] },
        { k: 'store', buf: 1, idx: { k: 'const', t: 'index', v: 0 }, e: { k: 'var', t: 'i32', name: 'acc' } },
      ],
    };
    expect(emitKernel(lk).statusBinding).toBeUndefined();
    const guarded = emitKernel(lk, { loopLimit: 65535 });
    expect(guarded.statusBinding).toBe(2);
    if (spirvValPresent) expect(spirvProblem(lk.name, guarded.words)).toBe('');
  });
});
