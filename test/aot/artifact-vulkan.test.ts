// Vulkan artifacts: packaged with the SPIR-V code generator (no device needed), validated like
// the other targets (SPIR-V ranges, magic, bindings against the params, packing, status word),
// loaded through runtime/vulkan and run on the Vulkan device here (lavapipe in CI): results
// equal k.jit's on the same random inputs. Without a device the runs are skipped, with the reason.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact, type EntrySpec } from '../../compiler/aot/package.ts';
import { decodeContainer, encodeContainer } from '../../runtime/artifact/container.ts';
import { decodeArtifact } from '../../runtime/artifact/format.ts';
import { ArtifactError } from '../../runtime/artifact/errors.ts';
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';
import { SPIRV_MAGIC } from '../../runtime/artifact/vulkan.ts';
import { describeArtifact } from '../../cli/inspect.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { loss, mlp, mlpEntries, mlpParams, rand, rng, scanCond, sd, sgd, weightsOf } from './fixtures/artifacts.ts';

type T = k.Tensor;
const present = vulkanPresent();
if (!present) console.warn('skipping the runs of Vulkan artifacts: no Vulkan device opens here (install libvulkan1 and mesa-vulkan-drivers for lavapipe)');
const tol = { rtol: 1e-5, atol: 1e-5 };

const r = rng(23);
const params = mlpParams(r);
const scanEntry = (): EntrySpec => entryFromTrace('scanCond', k.makeIR(scanCond)(sd([3]), sd([6, 3])), { argNames: ['init', 'xs'] });
const sgdEntry = (): EntrySpec => entryFromTrace('sgd', k.makeIR(sgd)(sd([64]), sd([64])), { argNames: ['w', 'g'], donateArgnums: [0] });
// One artifact for every test: the MLP's two entries sharing weights, a scan with a cond, a donated step.
const bytes = packageArtifact({ target: 'vulkan', entries: [...mlpEntries(), scanEntry(), sgdEntry()], weights: weightsOf(params) });

// The manifest as plain JSON, to be edited freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The artifact with its manifest (and kernels section) edited, checksum rebuilt. */
function edited(edit: (m: Json, kern: Uint8Array) => void): Uint8Array {
  const { header, sections } = decodeContainer(bytes, 'a');
  const m = parseNonFinite(Buffer.from(sections.get('MANI')!).toString('utf8')) as Json;
  const kern = new Uint8Array(sections.get('KERN')!);
  edit(m, kern);
  const s = new Map(sections);
  s.set('MANI', Buffer.from(stringifyNonFinite(m), 'utf8'));
  s.set('KERN', kern);
  return encodeContainer(header.target, header.kilnVersion, s);
}

function rejected(b: Uint8Array, message: RegExp): void {
  let err: unknown;
  try {
    decodeArtifact(b);
  } catch (e) {
    err = e;
  }
  expect(err, String(message)).toBeInstanceOf(ArtifactError);
  expect((err as ArtifactError).code).toBe('malformed');
  expect((err as Error).message).toMatch(message);
}

describe('vulkan artifacts: format and validation', () => {
  it('SPIR-V modules in the kernels section, the rest of each kernel in the manifest; kiln inspect lists them', () => {
    const dec = decodeArtifact(bytes);
    const kt = dec.manifest.kernels;
    expect(dec.header.target).toBe('vulkan');
    expect(kt.format).toBe('spirv');
    expect(kt.targetEnv).toBe('vulkan1.1');
    const view = new DataView(dec.kernels.buffer, dec.kernels.byteOffset, dec.kernels.byteLength);
    let end = 0;
    for (const kern of kt.kernels) {
      const v = kern.vulkan!;
      expect(v.spirv.offset).toBe(end);
      expect(view.getUint32(v.spirv.offset, true)).toBe(SPIRV_MAGIC);
      expect(v.bindings.map((b) => b.size)).toEqual(kern.params.map((p) => p.size));
      expect(v.dispatches.length).toBeGreaterThan(0);
      end += v.spirv.bytes;
    }
    expect(end).toBe(dec.kernels.length);
    const text = describeArtifact('m.kiln', dec);
    expect(text).toMatch(/target vulkan \(vulkan1\.1/);
    expect(text).toMatch(new RegExp(`kernels \\(${kt.kernels.length}, spirv of`));
    expect(text).toMatch(/f0_\w+ +\(in f32\[20\].*\) +SPIR-V [\d.]+ (B|KiB), \d+ dispatch(es)?: \w+ grid \d+x1x1 block \d+x1x1/);
  });

  it('structurally invalid Vulkan kernels are rejected, naming the fault', () => {
    const k0 = (m: Json) => m.kernels.kernels[0].vulkan;
    rejected(edited((m) => (k0(m).spirv.offset += 2)), /SPIR-V is whole 32-bit words: offset 2/);
    rejected(edited((m) => (k0(m).spirv.bytes = m.kernels.bytes + 4)), /end past the kernels section/);
    rejected(edited((m) => (k0(m).spirv.bytes = 8)), /cannot hold a SPIR-V module's header/);
    rejected(edited((m) => (k0(m).bindings[0].size += 1)), /bindings\[0\]: 21 of f32 does not bind param 0 \(in f32\[20\]: 20 of f32\)/);
    rejected(edited((m) => (k0(m).bindings[0].storage = 'i32')), /does not bind param 0/);
    rejected(edited((m) => (k0(m).bindings[k0(m).bindings.length - 1].writes = false)), /does not bind param/);
    rejected(edited((m) => k0(m).bindings.pop()), /bindings for \d+ params/);
    rejected(edited((m) => (k0(m).statusBinding = 99)), /status word is bound after the kernel's \d+ buffers/);
    rejected(edited((m) => (k0(m).dispatches = [])), /at least one dispatch/);
    rejected(edited((m) => (k0(m).dispatches[0].launch.block = [2048, 1, 1])), /block\[0\]: 2048 exceeds the limit 1024/);
    rejected(edited((m) => (k0(m).packing = { buffers: [{ storage: 'f32', size: 100 }], place: k0(m).bindings.map(() => ({ binding: 0, offset: 0 })) })), /overlaps the param before it/);
    rejected(edited((m) => delete m.kernels.requires), /kernels\.requires: expected an object/);
    rejected(edited((m) => (m.kernels.targetEnv = 'vulkan1.3')), /targetEnv: expected one of vulkan1\.1/);
    rejected(edited((m) => delete m.kernels.kernels[0].vulkan), /kernels\[0\]\.vulkan: expected an object/);
    // Bytes that are not SPIR-V where a module should start (the checksums recomputed).
    rejected(
      edited((m, kern) => {
        kern[0] ^= 0xff;
        m.kernels.sha256 = createHash('sha256').update(kern).digest('hex');
      }),
      /kernel 'f0_\w+': the kernels section at byte 0 is not a SPIR-V module \(first word 0x072302fc/,
    );
  });
});

describe.runIf(present)('vulkan artifacts run on the Vulkan device', () => {
  it('the MLP (two entries, shared weights), scan with a cond, a donated step: results equal jit', async () => {
    const m = await k.loadArtifact(bytes);
    expect(m.target).toBe('vulkan');
    for (let trial = 0; trial < 2; trial++) {
      const x = rand(r, [5, 4]), y = rand(r, [5, 3]);
      expect(m.call('predict', [undefined, x]) as T).toBeAllclose(k.jit(mlp)(params, x), tol);
      const got = m.call('loss', { x, y }) as { loss: T; logits: T };
      const want = k.jit(loss)(params, x, y);
      expect(got.loss).toBeAllclose(want.loss, tol);
      expect(got.logits).toBeAllclose(want.logits, tol);
      const init = rand(r, [3]), xs = rand(r, [6, 3]);
      const [c, ys] = m.fn('scanCond')(init, xs) as [T, T];
      const [wc, wys] = k.jit(scanCond)(init, xs);
      expect(c).toBeAllclose(wc, tol);
      expect(ys).toBeAllclose(wys, tol);
    }
    const w = rand(r, [64]), g = rand(r, [64]);
    const wd = w.data(), gd = g.data();
    const out = m.raw.call('sgd', { w: wd, g: gd }).output!;
    expect(k.array(out.data, { shape: [64] })).toBeAllclose(k.jit(sgd)(w, g), { rtol: 1e-6 });
    expect(out.data).not.toBe(wd);
    // dispose frees the pipelines and buffers; a later call is a clean error.
    m.dispose();
    expect(() => m.call('predict', [undefined, rand(r, [5, 4])])).toThrow(/the artifact was disposed/);
  });

  it('kernels packing their params (a device binding few buffers) pass validation and run', async () => {
    const packed = packageArtifact({ target: 'vulkan', entries: mlpEntries().slice(0, 1), weights: weightsOf(params), vulkan: { maxBindings: 2 } });
    const kern = decodeArtifact(packed).manifest.kernels.kernels;
    expect(kern.some((x) => x.vulkan!.packing !== undefined)).toBe(true);
    const m = await k.loadArtifact(packed);
    const x = rand(r, [5, 4]);
    expect(m.call('predict', { x }) as T).toBeAllclose(k.jit(mlp)(params, x), tol);
  });
});
