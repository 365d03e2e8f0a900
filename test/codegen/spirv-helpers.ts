// SPIR-V checks shared by the tests: spirv-val on every module, with a failure message that
// names the kernel and shows the disassembly around the offending instruction.
import { expect } from 'vitest';
import { disassemble, spirvToolsPresent, validateSpirv } from '../../compiler/codegen/spirv/index.ts';
import type { VulkanModule } from '../../runtime/executable.ts';

export const spirvValPresent: boolean = spirvToolsPresent().val;

/** The disassembly lines around the instruction spirv-val quoted (or its first lines). */
export function contextOf(words: Uint32Array, message: string, radius = 12): string {
  const dis = disassemble(words).split('\n');
  const quoted = message.split('\n').map((l) => l.trim()).find((l) => l.startsWith('%') || l.startsWith('Op'));
  const at = quoted ? dis.findIndex((l) => l.trim() === quoted) : -1;
  const from = Math.max(0, (at < 0 ? 0 : at) - radius);
  return dis.slice(from, from + 2 * radius + 1).map((l, i) => `${from + i === at ? '>>' : '  '} ${l}`).join('\n');
}

/** spirv-val's verdict on one kernel's module: '' when valid, else kernel, message, context. */
export function spirvProblem(name: string, words: Uint32Array): string {
  const v = validateSpirv(words);
  return v.ok ? '' : `kernel ${name}: spirv-val --target-env vulkan1.1 failed:\n${v.message}\n${contextOf(words, v.message)}`;
}

/** Every kernel of the module passes spirv-val. */
export function expectValidSpirv(module: VulkanModule): void {
  const problems = module.kernels.map((k) => spirvProblem(k.name, k.spirv)).filter((p) => p);
  expect(problems).toEqual([]);
}
