// Lowering of fused kernels to loop IR, the loop-IR interpreter (the reference for code
// generators), checker and printer.
export type * from './loop-ir.ts';
export { lowerKernel, lowerFunc, lowerProgram, printProgramLoops, isHeavy, PARALLEL_MIN_WORK, CHUNK, MAX_INLINE_CONSTANT } from './lower.ts';
export { runLoopKernel, runLoweredKernel, type RunOptions } from './interpret.ts';
export { verifyLoopKernel } from './verify.ts';
export { printLoopKernel, printExpr } from './print.ts';
