// The SPIR-V code generator for Vulkan compute: a typed module builder (builder.ts), the
// scalar semantics of the loop IR (scalar.ts, math.ts), GPU kernels to modules (emit.ts),
// and the tools around them (tools.ts: spirv-val, spirv-dis or a minimal disassembler).
export { SpirvError, SpirvModule, SpirvFunction } from './builder.ts';
export { emitKernel, storageOf, bufferBytes, VULKAN_MAX_GROUPS, VULKAN_MIN_INVOCATIONS, VULKAN_DEFAULT_WORKGROUP, type BufferStorage, type EmittedKernel, type EmittedDispatch, type SpirvEmitOptions } from './emit.ts';
export { disassemble, validateSpirv, spirvToolsPresent, type SpirvValidation } from './tools.ts';
