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
