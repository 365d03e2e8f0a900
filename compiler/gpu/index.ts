// The target-neutral GPU mapping of loop-IR kernels (kernel.ts: the form; map.ts: the mapping;
// simulate.ts: a CPU simulator for tests). Code generators (compiler/codegen/ptx) start here.
export * from './kernel.ts';
export { mapLoopKernel, type MapOptions } from './map.ts';
export { linearLaunch, indexWidth, DEFAULT_BLOCK, MAX_BLOCKS, SINGLE_THREAD, type LinearLaunch } from './launch.ts';
export { simulateGpuKernel, simulateGpuKernels, simulationKernel } from './simulate.ts';
