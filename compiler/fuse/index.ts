// Fusion and memory planning: what lowering starts from.
export type { FusedProgram, Kernel, KernelKind, Step } from './program.ts';
export { fuse, type FuseOptions } from './fuse.ts';
export { MAX_RECOMPUTE_COST } from './decide.ts';
export { printFused } from './print.ts';
export { planMemory, bytesOf, ALIGNMENT, type MemoryPlan, type Placement, type Lifetime, type PlanOptions } from './memory.ts';
export { executeFused, type ExecuteOptions } from './execute-interp.ts';
export { verifyFused, verifyMemoryPlan } from './verify.ts';
