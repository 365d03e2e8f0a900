// Damaged artifacts are rejected, never crash the process nor give a wrong answer: random byte
// flips and truncations of real artifacts (cpu and vulkan) (the checksum covers every byte, so each must fail
// with an ArtifactError), manifests made structurally invalid with a recomputed checksum (each
// rejected by validation with a message naming the fault), and random edits of the manifest's
// numbers with a recomputed checksum (each either rejected or run safely to results of the
// declared shapes).
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact } from '../../compiler/aot/package.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { decodeContainer, encodeContainer, type SectionTag } from '../../runtime/artifact/container.ts';
import { ArtifactError, type ArtifactErrorCode } from '../../runtime/artifact/errors.ts';
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';
import { loadArtifact, type LoadedArtifact } from '../../runtime/artifact/load.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import { useColdCache } from '../backends/helpers.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { cpuPresent, mlpArtifact, mlpParams, rand, rng, scanCond, sd, sgd } from './fixtures/artifacts.ts';

useColdCache();

// The manifest as plain JSON, to be edited freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The artifact with its manifest edited by `edit`, sections and checksum rebuilt. */
function withManifest(bytes: Uint8Array, edit: (m: Json) => void): Uint8Array {
  const { header, sections } = decodeContainer(bytes, 'a');
  const m = parseNonFinite(Buffer.from(sections.get('MANI')!).toString('utf8')) as Json;
  edit(m);
  return withSection(bytes, 'MANI', Buffer.from(stringifyNonFinite(m), 'utf8'), header.target);
}

function withSection(bytes: Uint8Array, tag: SectionTag, content: Uint8Array, target = decodeContainer(bytes, 'a').header.target): Uint8Array {
  const { header, sections } = decodeContainer(bytes, 'a');
  const s = new Map(sections);
  s.set(tag, content);
  return encodeContainer(target, header.kilnVersion, s);
}

/** Loads and calls `entry` on `inputs`; the error thrown, or undefined with the results. */
async function attempt(bytes: Uint8Array, entry: string, inputs: Record<string, Float32Array>): Promise<{ error?: unknown; out?: ReturnType<LoadedArtifact['call']>; art?: LoadedArtifact }> {
  try {
    const art = await loadArtifact(bytes);
    return { out: art.call(entry, inputs), art };
  } catch (error) {
    return { error };
  }
}

async function expectRejected(bytes: Uint8Array, code: ArtifactErrorCode, message: RegExp, entry = 'predict', inputs: Record<string, Float32Array> = {}): Promise<void> {
  const { error } = await attempt(bytes, entry, inputs);
  expect(error, String(message)).toBeInstanceOf(ArtifactError);
  expect((error as ArtifactError).code, (error as Error).message).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe.runIf(cpuPresent)('damaged artifacts', () => {
  const r = rng(11);
  const params = mlpParams(r);
  const x = rand(r, [5, 4]).data() as Float32Array;
  const mlp = () => mlpArtifact(params);
  const scan = () => packageArtifact({ target: 'cpu', entries: [entryFromTrace('scanCond', k.makeIR(scanCond)(sd([3]), sd([6, 3])), { argNames: ['init', 'xs'] })] });
  const scanInputs = { init: rand(r, [3]).data() as Float32Array, xs: rand(r, [6, 3]).data() as Float32Array };

  it('random byte flips and truncations are all rejected with an ArtifactError', async () => {
    const cases: [Uint8Array, string, Record<string, Float32Array>][] = [[mlp(), 'predict', { x }], [scan(), 'scanCond', scanInputs]];
    const fr = rng(2024);
    for (const [bytes, entry, inputs] of cases) {
      const good = await attempt(bytes, entry, inputs);
      expect(good.error).toBeUndefined();
      for (let trial = 0; trial < 100; trial++) {
        const damaged = new Uint8Array(bytes);
        let what: string;
        if (trial % 3 === 2) {
          const len = Math.floor(fr() * bytes.length);
          what = `truncated to ${len} bytes`;
          const { error } = await attempt(damaged.subarray(0, len), entry, inputs);
          expect(error, what).toBeInstanceOf(ArtifactError);
          expect(['truncated', 'bad-magic'], `${what}: ${(error as Error).message}`).toContain((error as ArtifactError).code);
          continue;
        }
        const flips = 1 + Math.floor(fr() * 3);
        const at: number[] = [];
        for (let f = 0; f < flips; f++) {
          const i = Math.floor(fr() * bytes.length);
          damaged[i] ^= 1 + Math.floor(fr() * 255);
          at.push(i);
        }
        what = `bytes flipped at ${at.join(', ')}`;
        const { error } = await attempt(damaged, entry, inputs);
        expect(error, what).toBeInstanceOf(ArtifactError);
        expect((error as Error).message.length, what).toBeGreaterThan(10);
      }
    }
  });

  it('a vulkan artifact: random byte flips and truncations are all rejected with an ArtifactError', async () => {
    const bytes = packageArtifact({ target: 'vulkan', entries: [entryFromTrace('scanCond', k.makeIR(scanCond)(sd([3]), sd([6, 3])), { argNames: ['init', 'xs'] })] });
    // The undamaged artifact runs where a Vulkan device opens (elsewhere its loading is refused cleanly).
    const good = await attempt(bytes, 'scanCond', scanInputs);
    if (vulkanPresent()) expect(good.error).toBeUndefined();
    else expect(good.error).toBeInstanceOf(ArtifactError);
    const fr = rng(4048);
    for (let trial = 0; trial < 60; trial++) {
      const damaged = new Uint8Array(bytes);
      if (trial % 3 === 2) {
        const len = Math.floor(fr() * bytes.length);
        const { error } = await attempt(damaged.subarray(0, len), 'scanCond', scanInputs);
        expect(error, `truncated to ${len} bytes`).toBeInstanceOf(ArtifactError);
        expect(['truncated', 'bad-magic']).toContain((error as ArtifactError).code);
        continue;
      }
      const i = Math.floor(fr() * bytes.length);
      damaged[i] ^= 1 + Math.floor(fr() * 255);
      const { error } = await attempt(damaged, 'scanCond', scanInputs);
      expect(error, `byte ${i} flipped`).toBeInstanceOf(ArtifactError);
      expect((error as ArtifactError).code, `byte ${i} flipped`).not.toBe('target');
    }
  });

  it('structurally invalid manifests with a valid checksum are rejected by validation', async () => {
    const m = mlp();
    const bad = (edit: (j: Json) => void) => withManifest(m, edit);
    const predict = (j: Json) => j.entries[0].program;
    const arenaBuffer = (p: Json) => p.buffers.findIndex((b: Json) => b.place.kind === 'arena');
    await expectRejected(bad((j) => (predict(j).steps[0].args[0] = 999)), 'malformed', /steps\[0\]\.args\[0\]: buffer index 999 out of range/);
    await expectRejected(bad((j) => (predict(j).steps[1].kernel = 'f0_k9')), 'malformed', /kernel 'f0_k9' is not in the kernel table/);
    await expectRejected(bad((j) => (j.kernels.kernels[0].params[0].size += 1)), 'malformed', /kernel 'f0_k0_matmul' param 0 needs 21 of f32/);
    await expectRejected(bad((j) => predict(j).steps[0].args.pop()), 'malformed', /takes 4 buffers, the launch passes 3/);
    await expectRejected(bad((j) => (predict(j).buffers[arenaBuffer(predict(j))].place.offset = predict(j).arenaBytes)), 'malformed', /ends past the arena/);
    await expectRejected(bad((j) => (predict(j).buffers[arenaBuffer(predict(j))].place.offset += 2)), 'malformed', /not aligned to 4 bytes/);
    await expectRejected(bad((j) => (predict(j).buffers[0].place.index = 99)), 'malformed', /input index 99 out of range/);
    await expectRejected(bad((j) => (predict(j).buffers[predict(j).outputs[0]].aval.shape = [5, 4])), 'malformed', /needs 15 of f32/);
    await expectRejected(bad((j) => (j.entries[0].outputs[0].aval.dtype = 'f64')), 'malformed', /outputs: value 0 is f32\[5,3\], expected f64\[5,3\]/);
    await expectRejected(bad((j) => (j.entries[0].inputs[0].weight = 'params.W9')), 'missing-weight', /binds weight 'params\.W9', which the artifact does not hold/);
    await expectRejected(bad((j) => (j.weights[0].shape = [8, 4])), 'malformed', /is f32\[4,8\] but weight 'params\.W1' is f32\[8,4\]/);
    await expectRejected(bad((j) => j.weights.pop()), 'missing-weight', /params\.b2/);
    await expectRejected(bad((j) => (j.kernels.sha256 = '0'.repeat(64))), 'malformed', /does not match the manifest's size and SHA-256/);
    await expectRejected(bad((j) => (j.kernels.platform = 'win32-arm64')), 'target', /built for win32-arm64/);
    await expectRejected(bad((j) => (j.entries[0].inputTree = { kind: 'leaf' })), 'malformed', /1 leaves for 5 inputs/);
    await expectRejected(bad((j) => (j.entries[1].name = 'predict')), 'malformed', /two entries are named 'predict'/);
    await expectRejected(bad((j) => (j.entries[0].program.buffers[0].aval.shape = [2 ** 20, 2 ** 20])), 'malformed', /exceeds the 4294967296-byte limit/);
    await expectRejected(withSection(m, 'MANI', Buffer.from('{"entries": [', 'utf8')), 'malformed', /not valid JSON/);

    const s = scan();
    const scanStep = (j: Json) => j.entries[0].program.steps.find((st: Json) => st.kind === 'scan');
    await expectRejected(withManifest(s, (j) => (scanStep(j).length += 1)), 'malformed', /does not have 7 rows/, 'scanCond', scanInputs);
    await expectRejected(withManifest(s, (j) => scanStep(j).body.inputs.pop()), 'malformed', /scan|body/, 'scanCond', scanInputs);
    await expectRejected(withManifest(s, (j) => (scanStep(j).body.steps.find((st: Json) => st.kind === 'cond').branches = [])), 'malformed', /at least one branch/, 'scanCond', scanInputs);

    const g = packageArtifact({ target: 'cpu', entries: [entryFromTrace('sgd', k.makeIR(sgd)(sd([64]), sd([64])), { argNames: ['w', 'g'], donateArgnums: [0] })] });
    // Undonating the input the step writes into: the kernel would overwrite the caller's array.
    await expectRejected(withManifest(g, (j) => (j.entries[0].inputs[0].donated = false)), 'malformed', /not donated/, 'sgd');
  });

  it('the header: format version, magic, unknown sections', async () => {
    const m = mlp();
    const v2 = new Uint8Array(m);
    new DataView(v2.buffer).setUint32(8, 2, true);
    await expectRejected(v2, 'version', /format version 2 \(written by Kiln 0\.1\.0\) is not supported: this Kiln reads format version 1; use a newer Kiln/);
    const magic = new Uint8Array(m);
    magic[0] = 0x50;
    await expectRejected(magic, 'bad-magic', /not a Kiln artifact/);
    const { sections, header } = decodeContainer(m, 'a');
    const tagged = encodeContainer(header.target, header.kilnVersion, sections);
    const i = Buffer.from(tagged).indexOf('IRTX');
    tagged.set(Buffer.from('XTRA'), i);
    // Recompute the checksum so that only the tag is wrong.
    const { createHash } = await import('node:crypto');
    tagged.set(createHash('sha256').update(tagged.subarray(0, tagged.length - 32)).digest(), tagged.length - 32);
    await expectRejected(tagged, 'malformed', /unknown section 'XTRA'/);
  });

  it("random edits of the manifest's numbers: rejected, or run safely with results of the declared shapes", async () => {
    const cases: [Uint8Array, string, Record<string, Float32Array>][] = [[mlp(), 'predict', { x }], [scan(), 'scanCond', scanInputs]];
    const fr = rng(77);
    let rejected = 0, ran = 0;
    for (const [bytes, entry, inputs] of cases) {
      const { sections } = decodeContainer(bytes, 'a');
      const manifest = parseNonFinite(Buffer.from(sections.get('MANI')!).toString('utf8')) as Json;
      // Paths of every number in the manifest.
      const paths: (string | number)[][] = [];
      const walk = (v: Json, p: (string | number)[]) => {
        if (typeof v === 'number') paths.push(p);
        else if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...p, i]));
        else if (v && typeof v === 'object') for (const key of Object.keys(v)) walk(v[key], [...p, key]);
      };
      walk(manifest, []);
      for (let trial = 0; trial < 40; trial++) {
        const path = paths[Math.floor(fr() * paths.length)]!;
        const choice = Math.floor(fr() * 5);
        const edited = withManifest(bytes, (j) => {
          let o = j;
          for (const key of path.slice(0, -1)) o = o[key];
          const last = path[path.length - 1]!;
          const v = o[last] as number;
          o[last] = [v + 1, v - 1, 0, v * 2, Math.floor(fr() * 64)][choice];
        });
        const { error, out, art } = await attempt(edited, entry, inputs);
        if (error !== undefined) {
          expect(error, `${path.join('.')}: ${String(error)}`).toBeInstanceOf(KilnError);
          rejected++;
          continue;
        }
        ran++;
        for (const o of art!.entry(entry).outputs) expect(out![o.path]!.data.length).toBe(sizeOf(o.aval.shape));
      }
    }
    expect(rejected + ran).toBe(80);
    expect(rejected).toBeGreaterThan(20);
  });
});
