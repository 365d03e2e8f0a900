// The Vulkan part of the GPU check: replays Vulkan correctness cases with the runtime's
// runner (createVulkanRunner: host arrays in, host arrays out) and times Vulkan benchmark
// cases on the device alone (vulkan-timing.ts), after one run through the runner checked
// against the host.
import { readFileSync } from 'node:fs';
import { VulkanError, VulkanLimitError } from '../../runtime/vulkan/errors.ts';
import { createVulkanRunner, VulkanContext, type VulkanDeviceInfo } from '../../runtime/vulkan/index.ts';
import { makeInput } from './bench-cases.ts';
import { judge, rate, verify, type BenchResult, type CaseResult } from './check-common.ts';
import { decodeVulkanModule, parseVulkanBenchCase, parseVulkanCase, type VulkanBenchCase } from './vulkan-cases.ts';
import { ResidentProgram, timestampSupport, timeVulkanCopy } from './vulkan-timing.ts';

/** The chosen Vulkan device and every device seen (opens the context; throws VulkanUnavailableError). */
export function vulkanDevice(): { readonly info: VulkanDeviceInfo; readonly devices: readonly VulkanDeviceInfo[]; readonly timestamps: boolean } {
  const ctx = VulkanContext.get();
  return { info: ctx.info, devices: ctx.devices, timestamps: timestampSupport(ctx) !== undefined };
}

export function replayVulkanCase(file: string): CaseResult {
  let name = file;
  try {
    const c = parseVulkanCase(readFileSync(file, 'utf8'));
    name = c.name;
    const runner = createVulkanRunner(decodeVulkanModule(c.module), [c.program]);
    try {
      return judge(file, name, runner.run(0, c.inputs.map(makeInput)), c.expected, c.rtol, c.atol);
    } finally {
      runner.dispose();
    }
  } catch (e) {
    return { file, name, ok: false, detail: `threw ${(e as Error).name}: ${(e as Error).message}` };
  }
}

const OUT_OF_DEVICE_MEMORY = -2;

/**
 * Times one benchmark case. Where the device has memory that is both device-local and
 * host-mapped (a resizable BAR), the runtime puts every buffer there; that heap may be small
 * (256 MB without resizable BAR): when it runs out, the case is retried with plain device
 * memory and a staging buffer (KILN_VULKAN_STAGING=1, from then on).
 */
export function runVulkanBench(file: string, runs: number): BenchResult {
  const first = benchCase(file, runs);
  if (!first.oom || process.env.KILN_VULKAN_STAGING === '1') return first.result;
  process.env.KILN_VULKAN_STAGING = '1';
  const again = benchCase(file, runs).result;
  return { ...again, method: `${again.method ?? 'not timed'}; with staging buffers after ${first.result.error}` };
}

function benchCase(file: string, runs: number): { readonly result: BenchResult; readonly oom: boolean } {
  let c: VulkanBenchCase | undefined;
  try {
    c = parseVulkanBenchCase(readFileSync(file, 'utf8'));
    const module = decodeVulkanModule(c.module);
    const hosts = c.inputs.map(makeInput);
    // One run through the runner, checked (the MLP step's weights are donated: in place).
    const runner = createVulkanRunner(module, [c.program]);
    let check: string, hostRunMs: number;
    try {
      const t0 = performance.now();
      const outs = runner.run(0, hosts);
      hostRunMs = performance.now() - t0;
      check = verify(c, hosts, outs[0]!);
    } finally {
      runner.dispose();
    }
    const res = new ResidentProgram(module, c.program, hosts);
    try {
      const t = res.time({ warmup: 5, runs });
      if (res.loopCapReached()) throw new VulkanLimitError(`${c.name}: a kernel reached the Vulkan driver's loop cap while timed (results truncated)`);
      const copyMs = c.copyBytes ? timeVulkanCopy(c.copyBytes, { warmup: 5, runs }).medianMs : undefined;
      const method = t.method === 'timestamps' ? `device timestamps, median of ${runs}` : `host wall time of ${runs} back-to-back runs in one submission`;
      return { result: { workload: c.workload, name: c.name, ms: t.medianMs, copyMs, rate: rate(c.metric, t.medianMs), check, method, hostRunMs }, oom: false };
    } finally {
      res.dispose();
    }
  } catch (e) {
    const result = { workload: c?.workload ?? 'elementwise', name: c?.name ?? file, error: `${(e as Error).name}: ${(e as Error).message}` } as const;
    return { result, oom: e instanceof VulkanError && e.result === OUT_OF_DEVICE_MEMORY };
  }
}

/** The benchmark cases of a folder's files, those that parse. */
export function readVulkanBenchCases(files: readonly string[]): VulkanBenchCase[] {
  return files.flatMap((f) => {
    try {
      return [parseVulkanBenchCase(readFileSync(f, 'utf8'))];
    } catch {
      return [];
    }
  });
}
