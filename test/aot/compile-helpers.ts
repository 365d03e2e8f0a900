// Shared by the AOT tests: the CLI in process, tensors to and from safetensors files by path
// name (as kiln run reads inputs and writes outputs), and model files written at test time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k from '../../index.ts';
import type { Io } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the model files of these tests are, relative to the working folder (as a user names them). */
export const MODELS = path.relative(process.cwd(), path.join(REPO, 'test/aot/models'));

/** Runs `kiln <argv>` in process with captured output. */
export async function kiln(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), readStdin: async () => '' };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The tensor leaves of a tree by path (`params.W1`, `0`), as artifacts name inputs and outputs. */
export function byPath(tree: unknown, prefix = ''): Record<string, k.Tensor> {
  const join = (key: string) => (prefix === '' ? key : `${prefix}.${key}`);
  if (tree instanceof k.Tensor) return { [prefix === '' ? 'output' : prefix]: tree };
  if (Array.isArray(tree)) return Object.assign({}, ...tree.map((t, i) => byPath(t, join(String(i)))));
  if (tree !== null && typeof tree === 'object') return Object.assign({}, ...Object.entries(tree).map(([key, t]) => byPath(t, join(key))));
  return {};
}

/**
 * A model file written into test/aot/models for one test run (so that `kiln` and the
 * TypeScript settings resolve as for the committed ones), hidden by a leading dot from the
 * project's own type check; removed by `remove`.
 */
export function writeModel(name: string, text: string): { file: string; remove: () => void } {
  const file = path.join(MODELS, `.${name}-${process.pid}.ts`);
  fs.writeFileSync(file, text);
  return { file, remove: () => fs.rmSync(file, { force: true }) };
}
