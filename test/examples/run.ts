// Running an example script as a user would (`npx tsx examples/...`), for the example tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `examples/<script>` and returns its standard output; fails on a non-zero exit. */
export function runExample(script: string, opts: { env?: Record<string, string>; timeoutMs?: number; args?: readonly string[] } = {}): string {
  const r = spawnSync('npx', ['tsx', `examples/${script}`, ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, ...opts.env },
  });
  if (r.error) throw r.error;
  expect(r.status, `${script} exited with ${r.status}\nstderr:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** ch02's printing: a block is the array lines (and blank lines) below its label. */
const arrayLine = (l: string) => l.startsWith('[') || l.startsWith(' ') || l === '';

/**
 * The text printed after `label: ` on its own line, or the block of lines below `label:` for
 * which `inBlock` holds.
 */
export function after(out: string, label: string, inBlock: (line: string) => boolean = arrayLine): string {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${label}:`));
  expect(i, `no line starting with "${label}:"`).toBeGreaterThanOrEqual(0);
  const rest = lines[i]!.slice(label.length + 1).trim();
  if (rest) return rest;
  const block: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (!inBlock(l)) break;
    block.push(l);
  }
  return block.join('\n').trimEnd();
}
