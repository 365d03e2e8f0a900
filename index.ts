// Kiln's public API: `import * as k from 'kiln'`.
import { cpuBackend, cpuToolchainPresent } from './dsl/cpu-backend.ts';
import { cudaBackendStatus } from './dsl/cuda-backend.ts';
import { initBackends, registerBackend } from './dsl/eager.ts';
import { vulkanBackendStatus } from './dsl/vulkan-backend.ts';

const cuda = cudaBackendStatus();
const vulkan = vulkanBackendStatus();
initBackends([...(cpuToolchainPresent() ? [cpuBackend] : []), ...cuda.backends, ...vulkan.backends], { ...cuda.unavailable, ...vulkan.unavailable });
// Listed by name (k.devices(), x.to('vulkan')) without becoming the default device.
for (const b of vulkan.listed) registerBackend(b);

export type { DType } from './compiler/ir/dtype.ts';
export type { AVal, Func, SourceLoc } from './compiler/ir/ir.ts';
export { KilnError, ParseError, ShapeError, TraceError, VerifyError } from './compiler/ir/errors.ts';
export { Tensor, type Shape, type NestedNumbers } from './dsl/tensor.ts';
export type { TensorLike, NestedArray } from './dsl/lift.ts';
export { array, full, zeros, ones, zerosLike, onesLike, fullLike, arange, linspace, eye, iota } from './dsl/creation.ts';
export {
  add, sub, mul, div, pow, neg, abs, sign, exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh,
  sigmoid, relu, floor, ceil, round, maximum, minimum, equal, notEqual, less, lessEqual, greater,
  greaterEqual, logicalAnd, logicalOr, logicalNot, where, clip, astype, isFinite, isNaN, broadcastShapes,
} from './dsl/elementwise.ts';
export { sum, mean, max, min, prod, all, any, argmax, argmin, logsumexp, variance as var, std, cumsum, arrayEqual, allclose, type ReduceOpts } from './dsl/reduce.ts';
export {
  reshape, transpose, moveAxis, broadcastTo, expandDims, squeeze, concatenate, stack, split, flip, pad, tile, repeat,
  type PadWidth,
} from './dsl/shape-ops.ts';
export { getIndex as slice, take, takeAlongAxis, IndexUpdate, type IndexSpec } from './dsl/indexing.ts';
export { matmul, dot, outer, norm, oneHot, type NormOpts } from './dsl/linalg.ts';
export { sort, argsort } from './dsl/sort.ts';
export * as random from './dsl/random.ts';
export { treeFlatten, treeUnflatten, treeMap, type Tree, type TreeDef } from './dsl/tree.ts';
export { makeIR, callIR, shapeDtype, ShapeDtype, type TracedFunction } from './dsl/make-ir.ts';
export { parseFunc as parseIR, parseModule } from './compiler/ir/parse.ts';
export { printFunc as printIR } from './compiler/ir/print.ts';
export { verifyFunc as verifyIR } from './compiler/ir/verify.ts';
export { grad, valueAndGrad, vjp, jvp, jacfwd, jacrev, hessian, stopGradient, type GradOptions } from './dsl/autodiff.ts';
export { cond, switchCase, whileLoop, forLoop, scan, type ScanOptions } from './dsl/control-flow.ts';
export { customJvp, customVjp } from './dsl/custom.ts';
export { devices, device, defaultDevice, setDefaultDevice } from './dsl/devices.ts';
export { Device, DeviceMismatchError } from './runtime/device.ts';
export { jit, type JitOptions, type JitStats, type Jitted } from './dsl/jit.ts';
/** Data sets and loaders: the book's data hub (SHA-1-verified cache), DataLoader, Fashion-MNIST, house prices. */
export * as data from './stdlib/data/index.ts';
/** File I/O: safetensors for tensors, lists, parameter trees and modules. */
export * as io from './stdlib/io/index.ts';
/** Training feedback: progress bar, Animator (SVG curves), Timer, Accumulator. */
export * as train from './stdlib/train/index.ts';
export * as nn from './stdlib/nn/index.ts';
export * as losses from './stdlib/losses.ts';
export * as optim from './stdlib/optim/index.ts';
export * as metrics from './stdlib/metrics.ts';
/** Ahead-of-time artifacts: load a compiled model file and call its entries (kiln compile writes them). */
export { loadArtifact, type Artifact } from './runtime/artifact/api.ts';
export { ArtifactError, type ArtifactErrorCode } from './runtime/artifact/errors.ts';
