// The CLI in process (cli/main.ts's `main` with captured output): the details of argument
// handling and error messages, which would cost a spawn each in cli.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.relative(process.cwd(), path.join(REPO, 'test/cli/fixtures/model.ts'));

async function run(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t), readStdin: async () => stdin };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('kiln ir (in process)', () => {
  it('traces functions of several arguments and dtypes', async () => {
    const dense = await run(['ir', MODEL, '-e', 'dense', '-a', ' [2,3], [3,4], [4] ']);
    expect(dense.stderr).toBe('');
    expect(dense.stdout).toMatch(/^func @dense\(%0: f32\[2,3\], %1: f32\[3,4\], %2: f32\[4\]\) -> \(f32\[2,4\]\) \{\n/);
    const ints = await run(['ir', MODEL, '--entry=countPositive', '--args=i32[5]', '--stage=trace']);
    expect(ints.code).toBe(0);
    expect(ints.stdout).toMatch(/^func @countPositive\(%0: i32\[5\]\) -> \(i32\[\]\) \{\n/);
  });

  it('reads IR text from standard input with -', async () => {
    const ir = readFileSync(path.join(REPO, 'test/cli/fixtures/ok.kir'), 'utf8');
    const r = await run(['ir', '-'], ir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^func @scale\(%0: f32\[3\]\)/);
    const bad = await run(['ir', '-'], readFileSync(path.join(REPO, 'test/cli/fixtures/bad-syntax.kir'), 'utf8'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^<stdin>:2:15: /);
  });

  // `-e softmax` without --args reads the parameter types with the TypeScript checker (seconds).
  it('reports usage errors with exit status 2 and a pointer to the help', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['ir', MODEL, '-e', 'softmax', '-a', '[2]', '--stage', 'bogus'], /^kiln: unknown stage 'bogus'; valid stages: trace, grad, inline, simplify, fold, cse, dce, opt, fused, loops, llvm, ptx, spirv\n/],
      [['ir', MODEL, '-e', 'softmx', '-a', '[2]'], /has no export named 'softmx'; did you mean softmax\? \(exported functions: countPositive, dense, softmax\)/],
      [['ir', MODEL, '-e', 'softmax', '-a', 'f32[2,x]'], /^kiln: --args: expected a dimension .* at column 7 of 'f32\[2,x\]'/],
      [['ir', MODEL, '-e', 'dense', '-a', '[2,3]'], /^kiln: dense takes 3 arguments, but --args gives 1 \(f32\[2,3\]\)/],
      [['ir', MODEL, '-e', 'softmax'], /^kiln: softmax takes 1 argument, but --args gives 0; e\.g\. --args 'f32\[2,3\]'/],
      [['ir', MODEL], /exports several functions \(countPositive, dense, softmax\); choose one with --entry/],
      [['ir', MODEL, '--entr', 'softmax'], /^kiln: unknown option '--entr'; did you mean --entry\?/],
      [['ir', MODEL, '--entry'], /^kiln: option --entry needs a value/],
      [['ir'], /^kiln: missing the model or \.kir file/],
      [['ir', 'a.kir', 'b.kir'], /^kiln: expected one file, got a\.kir b\.kir/],
      [['ir', 'test/cli/fixtures/ok.kir', '--args', '[2]'], /^kiln: --args applies to a model file, not to IR text/],
      [['ir', 'notes.txt'], /^kiln: 'notes\.txt' is neither a model file \(\.ts, \.js\) nor IR text \(\.kir\)/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr, argv.join(' ')).toMatch(msg);
      expect(r.stderr).toMatch(/\nRun 'kiln help ir' for usage\.\n$/);
    }
  });

  it('reports a missing file with exit status 1', async () => {
    expect(await run(['ir', 'test/cli/fixtures/missing.kir'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'kiln: cannot read test/cli/fixtures/missing.kir: no such file\n',
    });
    expect((await run(['ir', 'test/cli/fixtures/missing.ts', '-a', '[2]'])).stderr).toBe('kiln: cannot read test/cli/fixtures/missing.ts: no such file\n');
  });
});

describe('kiln help and dispatch (in process)', () => {
  it('prints the overview for no arguments, -h and help; versions; unknown commands', async () => {
    const overview = await run(['--help']);
    expect(overview.code).toBe(0);
    expect(await run([])).toEqual(overview);
    expect(await run(['-h'])).toEqual(overview);
    expect(await run(['help'])).toEqual(overview);
    expect((await run(['--version'])).stdout).toMatch(/^kiln \d+\.\d+\.\d+\n$/);
    expect(await run(['doc', '--help'])).toEqual(await run(['help', 'doc']));
    const unknown = await run(['help', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kiln: unknown command 'nope'/);
    expect((await run(['doc', '--all'])).stderr).toMatch(/^kiln: unknown option '--all' \(this command takes no options\)/);
  });
});
