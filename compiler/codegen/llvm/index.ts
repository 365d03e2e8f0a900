// The LLVM code generator for CPU: loop-IR kernels → LLVM module (emit.ts) → shared library
// through a persistent cache (compile.ts). The runtime side is runtime/cpu.
export { emitModule, CodegenError, PARALLEL_MIN_WORK, matmulEmitter, type EmitOptions, type EmittedModule } from './emit.ts';
export {
  compileModule,
  compileModuleSync,
  compileIR,
  compileIRSync,
  cacheKey,
  defaultCacheDir,
  getToolchain,
  ToolchainError,
  type CompileOptions,
  type CompileResult,
} from './compile.ts';
export type { MatmulEmitContext, EmitMatmul } from './matmul-api.ts';
