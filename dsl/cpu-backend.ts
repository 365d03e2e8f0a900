// The CPU device: eager ops run as compiled single-op programs (cached per primitive, params
// and operand types), so the default CPU backend runs native code; jit compiles whole
// functions for it. Available when LLVM 14's tools and a C compiler are installed.
import { findTool } from '../compiler/codegen/llvm/compile.ts';
import { Device } from '../runtime/device.ts';
import { compileProgramFor } from './compile.ts';
import type { EagerBackend } from './eager.ts';
import { hostMemoryBackend, singleOpBackend } from './single-op-backend.ts';

const cpu = new Device('cpu');

/** Whether the tools the CPU backend compiles with are installed. */
export function cpuToolchainPresent(): boolean {
  // The compiler's own lookup (a scan of PATH, no processes started: this runs at import).
  try {
    findTool('KILN_OPT', ['opt-14', '/usr/lib/llvm-14/bin/opt'], 'llvm-14', 'opt');
    findTool('KILN_LLC', ['llc-14', '/usr/lib/llvm-14/bin/llc'], 'llvm-14', 'llc');
    findTool('KILN_CC', ['gcc', 'cc'], 'gcc', 'gcc');
    return true;
  } catch {
    return false;
  }
}

export const cpuBackend: EagerBackend = singleOpBackend({
  device: cpu,
  compile: (func, donated) => compileProgramFor(cpu, func, donated),
  ...hostMemoryBackend(cpu),
});
