// The CPU backend: compiled kernel libraries loaded with koffi (see library.ts).
export { loadKernels, KernelLoadError, type HostArray, type KernelFn, type ParamSpec } from './library.ts';
