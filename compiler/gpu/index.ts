// The target-neutral GPU mapping of loop-IR kernels (kernel.ts: the form; map.ts: the mapping;
// simulate.ts: a CPU simulator for tests; reduce.ts: block reductions; matmul.ts: the tiled
// matrix product). Code generators (compiler/codegen/ptx) start here.
export * from './kernel.ts';
export { mapLoopKernel, type MapOptions } from './map.ts';
export { linearLaunch, indexWidth, DEFAULT_BLOCK, MAX_BLOCKS, SINGLE_THREAD, type LinearLaunch } from './launch.ts';
export { simulateGpuKernel, simulateGpuKernels, simulationKernel } from './simulate.ts';
export { matchReduction, reduceShape, reductionKernels, reductionScratch, type Reduction, type ReduceShape, type RowReduction } from './reduce.ts';
export { matmulTile, tiledMatmul, TILE_LARGE, TILE_MEDIUM, type MatmulTile } from './matmul.ts';
