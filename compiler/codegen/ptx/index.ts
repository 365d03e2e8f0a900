// The PTX code generator: GPU kernels (compiler/gpu) → NVVM IR text (emit.ts) → PTX by libnvvm
// in process or llc-14 (compile.ts), cached; ptxas (ptxas.ts) checks PTX and makes cubins.
export { emitNvvmModule, NVPTX_TRIPLE, NVVM_DATA_LAYOUT } from './emit.ts';
export { compilePtx, compileGpuKernels, cudaArch, ptxAvailable, ptxBackend, producerAvailable, DEFAULT_CUDA_ARCH, type PtxOptions, type PtxResult, type PtxProducer } from './compile.ts';
export { PtxCompileError } from './nvvm.ts';
export { findLibnvvm, findLibdevice, findPtxas, cudaRoots } from './tools.ts';
export { assemblePtx, compileCubin, moduleCubin, explainPtxas, kernelAtLine, PtxasError } from './ptxas.ts';
