// The `kiln` command line end to end: each test spawns `node bin/kiln.js ...` from the
// repository root, as a user would, on the model and IR files in fixtures/. Spawns cost about
// half a second each (more for `kiln doc`, which loads the TypeScript compiler), so tests run
// their spawns concurrently where they are independent.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = 'test/cli/fixtures/model.ts';
const TIMEOUT = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI from the repository root with `args` (and `input` on stdin). */
function kiln(args: readonly string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/kiln.js'), ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A line of a stack trace, which errors in the user's input must not print. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** The 1-based line of the fixture model that contains `text`. */
function modelLine(text: string): number {
  const i = readFileSync(path.join(REPO, MODEL), 'utf8').split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`no '${text}' in ${MODEL}`);
  return i + 1;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'kiln-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kiln --help', () => {
  it('documents every command with examples, and each command on its own', { timeout: TIMEOUT }, async () => {
    const [help, helpIr] = await Promise.all([kiln(['--help']), kiln(['help', 'ir'])]);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    for (const cmd of ['ir', 'doc', 'help']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd} +\\S`, 'm'));
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain("kiln ir model.ts --entry softmax --args 'f32[2,3]'");

    expect(helpIr.code).toBe(0);
    for (const text of ['--entry', '--args', '--stage', 'dtype[d0,d1,...]', "'[2,3],[3]'", 'trace', '.kir', 'Examples:']) {
      expect(helpIr.stdout).toContain(text);
    }
  });
});

describe('kiln ir on a model file', () => {
  it('traces the entry on abstract arguments and prints IR that parses back', { timeout: TIMEOUT }, async () => {
    const softmax = await kiln(['ir', MODEL, '--entry', 'softmax', '--args', 'f32[2,3]']);
    expect(softmax.stderr).toBe('');
    expect(softmax.code).toBe(0);
    expect(softmax.stdout).toMatchInlineSnapshot(`
      "func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
        %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("test/cli/fixtures/model.ts":6:21)
        %2 = reshape %1 {shape=[2,1]} : f32[2,1]  loc("test/cli/fixtures/model.ts":6:21)
        %3 = broadcast_in_dim %2 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/cli/fixtures/model.ts":6:15)
        %4 = sub %0, %3 : f32[2,3]  loc("test/cli/fixtures/model.ts":6:15)
        %5 = exp %4 : f32[2,3]  loc("test/cli/fixtures/model.ts":6:56)
        %6 = reduce_sum %5 {axes=[1]} : f32[2]  loc("test/cli/fixtures/model.ts":7:18)
        %7 = reshape %6 {shape=[2,1]} : f32[2,1]  loc("test/cli/fixtures/model.ts":7:18)
        %8 = broadcast_in_dim %7 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/cli/fixtures/model.ts":7:12)
        %9 = div %5, %8 : f32[2,3]  loc("test/cli/fixtures/model.ts":7:12)
        return %9
      }
      "
    `);

    // The dump is also an input: it parses back and prints unchanged.
    const kir = path.join(tmp, 'softmax.kir');
    writeFileSync(kir, softmax.stdout);
    expect(await kiln(['ir', kir])).toEqual({ code: 0, stdout: softmax.stdout, stderr: '' });
  });

  it("reports a shape error with the model's line and no stack; unexpected errors with their stack", { timeout: TIMEOUT }, async () => {
    const [r, unexpected] = await Promise.all([
      kiln(['ir', MODEL, '--entry', 'dense', '--args', '[2,3],[4,5],[5]']),
      kiln(['ir', 'test/cli/fixtures/throws.ts']),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ShapeError: matmul: .*\[2, ?3\].*\[4, ?5\]/);
    expect(r.stderr).toContain(`${MODEL}:${modelLine('x.matmul(w)')}:`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    expect(unexpected.code).toBe(1);
    expect(unexpected.stderr).toMatch(/^kiln: unexpected error\nTypeError: not a Kiln error\n/);
    expect(unexpected.stderr).toMatch(STACK_LINE);
  });
});

describe('kiln ir on IR text', () => {
  it('parses, verifies and prints a .kir file canonically; a parse error is file:line:col', { timeout: TIMEOUT }, async () => {
    const [ok, bad] = await Promise.all([kiln(['ir', 'test/cli/fixtures/ok.kir']), kiln(['ir', 'test/cli/fixtures/bad-syntax.kir'])]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatchInlineSnapshot(`
      "func @scale(%0: f32[3]) -> (f32[3]) {
        %1 = constant {shape=[3], dtype=f32, data=[2]} : f32[3]
        %2 = mul %0, %1 : f32[3]
        return %2
      }
      "
    `);

    // `%y = neg %x f32[3]`: the ':' before the type is missing, at line 2, column 15.
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^test\/cli\/fixtures\/bad-syntax\.kir:2:15: .*expected.*\n$/);
    expect(bad.stderr).not.toMatch(STACK_LINE);
  });
});

describe('kiln doc', () => {
  it('lists the API and shows entries with signatures and comments', { timeout: TIMEOUT }, async () => {
    const [list, entries, unknown] = await Promise.all([
      kiln(['doc']),
      kiln(['doc', 'arange', 'random.uniform', 'Tensor.sum', 'k.var']),
      kiln(['doc', 'arang']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    // Top-level functions, classes, namespace members and class members, with a summary column.
    expect(list.stdout).toMatch(/^ {2}arange +Evenly spaced values in \[start, stop\) with `step`/m);
    expect(list.stdout).toMatch(/^ {2}random\.uniform +\S/m);
    expect(list.stdout).toMatch(/^ {2}Tensor\.sum +\S/m);
    expect(list.stdout).toMatch(/^ {2}makeIR +\S/m);
    expect(list.stdout).toMatch(/^ {2}Tensor +\S/m);

    expect(entries.code).toBe(0);
    expect(entries.stderr).toBe('');
    const [arange, uniform, tensorSum, variance] = entries.stdout.split(/\n(?=\S+ {2}\()/);
    expect(arange).toMatch(/^k\.arange {2}\(function in dsl\/creation\.ts:\d+\)\n\n {4}function arange[<(]/);
    expect(arange).toContain('  Evenly spaced values in [start, stop)'); // the comment, in full
    expect(arange).toContain('Integers give i32, otherwise f32.');
    // Signatures are the source's (they follow its types); the comment follows them.
    expect(uniform).toMatch(/^k\.random\.uniform {2}\(function in dsl\/random\.ts:\d+\)\n\n {4}function uniform[<(].*\n\n {2}\S/);
    expect(tensorSum).toMatch(/^Tensor\.sum {2}\(method in dsl\/tensor\.ts:\d+\)\n\n {4}sum[<(].*\n\n {2}\S/);
    expect(tensorSum).toContain('See also: k.sum');
    expect(variance).toMatch(/^k\.var {2}\(function in dsl\/reduce\.ts:\d+, declared as variance\)\n\n {4}function var[<(]/);

    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^kiln: no 'arang' in Kiln's API; did you mean arange\b/);
  });
});
