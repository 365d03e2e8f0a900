// `kiln compile`'s errors, through the CLI in process: each names the cause and where it is
// (the entry, the parameter, file:line), with the exit status of its kind.
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kiln, MODELS, writeModel } from './compile-helpers.ts';

const TYPES = path.join(MODELS, 'types.ts');
const OUT = path.join(os.tmpdir(), `kiln-aot-errors-${process.pid}.kiln`);

/** A model with a TypeScript error on line 7 (a string for a number). */
const badTypes = writeModel(
  'type-error',
  [
    "import * as k from 'kiln';",
    "import type { Tensor } from 'kiln';",
    '',
    '/** Scales x. */',
    "export function predict(x: Tensor<[2, 3], 'f32'>): k.Tensor {",
    '  // the next line is wrong',
    "  const scale: number = 'three';",
    '  return x.mul(scale);',
    '}',
    '',
  ].join('\n'),
);
afterAll(() => badTypes.remove());

const compile = (...argv: string[]) => kiln(['compile', ...argv, '-o', OUT]);

describe('kiln compile: errors', { timeout: 120_000 }, () => {
  it('reports the TypeScript errors of the model file as file:line:col, before tracing', async () => {
    const r = await compile(badTypes.file, '--entry', 'predict');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`CompileError: ${badTypes.file} has 1 TypeScript error; fix it before compiling:\n`);
    expect(r.stderr).toContain(`${badTypes.file}:7:9: error TS2322: Type 'string' is not assignable to type 'number'.`);
  });

  it('names a parameter that is not a tensor tree, its entry and file:line', async () => {
    const r = await compile(TYPES, '-e', 'withCallback');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^CompileError: parameter 'f' of withCallback \\(${TYPES.replace(/\./g, '\\.')}:\\d+:\\d+\\) has type \\(v: number\\) => number, which is neither a tensor tree`));
  });

  it('names a dynamic dimension without a value, and how to give it', async () => {
    const r = await compile(TYPES, '-e', 'open', '--args', 'x=[2]');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kiln: dimension 0 of parameter 'y' of open \(.*types\.ts:\d+:\d+\) is dynamic \(Tensor<\[number, 3\], 'i32'>\); give its shape with --args open\.y=\[N,3\]\n/);
    expect(r.stderr).toContain("Run 'kiln help compile' for usage.");
    const rank = await compile(TYPES, '-e', 'open');
    expect(rank.stderr).toMatch(/parameter 'x' of open .* is a tensor of unknown rank \(k\.Tensor\); give its shape with --args open\.x=f32\[2,3\]/);
  });

  it('suggests the closest entries for a missing one', async () => {
    const r = await compile(TYPES, '-e', 'tres');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exports no function named 'tres'; did you mean trees\? \(exported functions: aliases, deepBad, donating, open, statics, trees, withCallback\)/);
    const several = await compile(TYPES);
    expect(several.stderr).toMatch(/exports several functions \(aliases, .*\); choose one with --entry/);
  });

  it('rejects an unknown target, bad options and missing files', async () => {
    const r = await compile(TYPES, '-e', 'statics', '--target', 'tpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kiln: unknown target 'tpu'.*\(targets: cpu, cuda, vulkan\)/);
    expect((await compile(TYPES, '-e', 'statics', '--target', 'cdua')).stderr).toMatch(/did you mean .*cuda\?/);
    expect((await kiln(['compile', TYPES, '-e', 'statics'])).stderr).toMatch(/^kiln: missing --out <file>/);
    expect((await compile(path.join(MODELS, 'missing.ts'), '-e', 'f')).stderr).toMatch(/cannot read .*missing\.ts: no such file/);
    expect((await compile(TYPES, '-e', 'statics', '-a', 'scale=[2]')).stderr).toMatch(/'scale'|parameter 'scale' of statics .* is a static number, not a tensor/);
    expect((await compile(TYPES, '-e', 'statics', '-w', path.join(MODELS, 'none.safetensors'))).stderr).toMatch(/cannot read the weights file .*none\.safetensors: no such file/);
  });
});
