// Type tests for dsl/shape-types.ts, checked by `tsc --noEmit -p .` (part of `npm test`).
// Nothing here runs: the functions below are never called, they only give the checker
// expressions to infer. Each `@ts-expect-error` proves a rejection.
import type {
  AxisArg,
  Broadcast,
  BroadcastAll,
  BroadcastDim,
  BroadcastTo,
  CheckAxis,
  CheckBroadcast,
  CheckBroadcastAll,
  CheckBroadcastTo,
  CheckConcat,
  CheckDot,
  CheckExpandDims,
  CheckMatmul,
  CheckReshape,
  CheckSlice,
  CheckSqueeze,
  CheckStack,
  CheckTranspose,
  Concat,
  DimAdd,
  DimDiv,
  DimMul,
  DimSub,
  DotShape,
  ExpandDims,
  Flatten,
  IndexAxis,
  IndexEntry,
  IsFixedRank,
  IsStaticDim,
  MatmulShape,
  NormAxis,
  OneHot,
  ReduceShape,
  ReshapeShape,
  Shape,
  ShapeError,
  ShapeStr,
  Size,
  SliceShape,
  Squeeze,
  Stack,
  StackAll,
  SwapAxes,
  TransposeShape,
  UnifyDim,
} from '../../dsl/shape-types.ts';
import type { Equal, Expect, IsNever } from './util.ts';

// ---- basics

export type Basics = [
  Expect<Equal<IsFixedRank<[2, 3]>, true>>,
  Expect<Equal<IsFixedRank<readonly [number]>, true>>,
  Expect<Equal<IsFixedRank<number[]>, false>>,
  Expect<Equal<IsFixedRank<[2, ...number[]]>, false>>,
  Expect<Equal<ShapeStr<[2, 3]>, '[2,3]'>>,
  Expect<Equal<ShapeStr<[number, 3]>, '[?,3]'>>,
  Expect<Equal<ShapeStr<[]>, '[]'>>,
  Expect<Equal<ShapeStr<number[]>, '[...]'>>,
  Expect<Equal<NormAxis<[2, 3, 4], 1>, 1>>,
  Expect<Equal<NormAxis<[2, 3, 4], -1>, 2>>,
  Expect<Equal<NormAxis<[2, 3, 4], -3>, 0>>,
  Expect<Equal<NormAxis<[2, 3, 4], number>, number>>,
  Expect<IsNever<NormAxis<[2, 3, 4], 3>>>,
  Expect<IsNever<NormAxis<[2, 3, 4], -4>>>,
  Expect<IsNever<NormAxis<[2, 3, 4], 1.5>>>,
  Expect<IsNever<NormAxis<[], 0>>>,
  Expect<Equal<IsStaticDim<3>, true>>,
  Expect<Equal<IsStaticDim<number>, false>>,
  Expect<Equal<IsStaticDim<2 | 3>, false>>,
  // a union of literals (`cond ? 0 : 1`) is treated as a dynamic dim or axis
  Expect<Equal<NormAxis<[2, 3], 0 | -1>, number>>,
  Expect<Equal<Broadcast<[2 | 3], [2]>, [2]>>,
  Expect<Equal<Broadcast<[2 | 3], [number]>, [number]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], 0 | 1>, [number, number]>>,
  Expect<Equal<IndexAxis<[2, 3], 0 | 1>, [number]>>,
  Expect<Equal<ReshapeShape<[2, 3], [6 | 3, -1]>, [3 | 6, number]>>,
  Expect<Equal<DimAdd<2 | 3, 1>, number>>,
];

// Every result is a Shape even for generic arguments, so `Tensor<Result>` is always allowed.
export type ResultsAreShapes<
  S extends Shape,
  B extends Shape,
  L extends readonly Shape[],
  A extends AxisArg,
  K extends boolean,
  P extends readonly number[] | undefined,
  N extends number,
  Sp extends readonly unknown[],
> = [
  T<Broadcast<S, B>>,
  T<BroadcastAll<L>>,
  T<BroadcastTo<S, B>>,
  T<MatmulShape<S, B>>,
  T<DotShape<S, B>>,
  T<ReduceShape<S, A, K>>,
  T<TransposeShape<S, P>>,
  T<SwapAxes<S, N, N>>,
  T<ExpandDims<S, N>>,
  T<ExpandDims<S, P & readonly number[]>>,
  T<Squeeze<S, A>>,
  T<IndexAxis<S, N>>,
  T<OneHot<S, N>>,
  T<Concat<L, N>>,
  T<Stack<S, N, N>>,
  T<StackAll<L, N>>,
  T<ReshapeShape<S, B>>,
  T<Flatten<S>>,
  T<SliceShape<S, Sp>>,
];

// ---- dim arithmetic

export type Arithmetic = [
  Expect<Equal<DimAdd<2, 3>, 5>>,
  Expect<Equal<DimAdd<999, 1>, 1000>>,
  Expect<Equal<DimAdd<0, 0>, 0>>,
  Expect<Equal<DimAdd<4096, 8192>, 12288>>,
  Expect<Equal<DimAdd<number, 3>, number>>,
  Expect<Equal<DimAdd<-1, 3>, number>>,
  Expect<Equal<DimSub<1000, 1>, 999>>,
  Expect<Equal<DimSub<7, 7>, 0>>,
  Expect<IsNever<DimSub<3, 7>>>,
  Expect<Equal<DimMul<784, 32>, 25088>>,
  Expect<Equal<DimMul<123456789, 1000000>, 123456789000000>>,
  Expect<Equal<DimMul<0, 5>, 0>>,
  // beyond 2^53 the result is not exact any more: dynamic
  Expect<Equal<DimMul<123456789, 987654321>, number>>,
  Expect<Equal<DimDiv<25088, 784>, 32>>,
  Expect<Equal<DimDiv<100, 7>, 14>>,
  Expect<Equal<DimDiv<6, 6>, 1>>,
  Expect<IsNever<DimDiv<7, 0>>>,
  Expect<Equal<DimDiv<number, 7>, number>>,
  Expect<Equal<Size<[2, 3, 4]>, 24>>,
  Expect<Equal<Size<[]>, 1>>,
  Expect<Equal<Size<[2, 0]>, 0>>,
  Expect<Equal<Size<[32, 3, 224, 224]>, 4816896>>,
  Expect<Equal<Size<[2, number]>, number>>,
  Expect<Equal<Size<number[]>, number>>,
];

// ---- broadcasting

export type Broadcasting = [
  Expect<Equal<Broadcast<[2, 1, 3], [4, 3]>, [2, 4, 3]>>,
  Expect<Equal<Broadcast<[2, 3], [2, 3]>, [2, 3]>>,
  Expect<Equal<Broadcast<[], [2, 3]>, [2, 3]>>,
  Expect<Equal<Broadcast<[2, 3], []>, [2, 3]>>,
  Expect<Equal<Broadcast<[5, 1], [1, 7]>, [5, 7]>>,
  Expect<Equal<Broadcast<[8, 1, 6, 1], [7, 1, 5]>, [8, 7, 6, 5]>>,
  Expect<Equal<Broadcast<readonly [2, 3], readonly [3]>, [2, 3]>>,
  // dynamic dims
  Expect<Equal<Broadcast<[number, 3], [2, 3]>, [2, 3]>>,
  Expect<Equal<Broadcast<[number, 3], [1, 3]>, [number, 3]>>,
  Expect<Equal<Broadcast<[number], [number]>, [number]>>,
  Expect<Equal<Broadcast<[1], [number]>, [number]>>,
  Expect<Equal<BroadcastDim<number, 1>, number>>,
  Expect<Equal<BroadcastDim<4, number>, 4>>,
  // unknown rank
  Expect<Equal<Broadcast<number[], [2]>, number[]>>,
  Expect<Equal<Broadcast<[2], readonly number[]>, number[]>>,
  // mismatch
  Expect<IsNever<Broadcast<[2, 3], [4]>>>,
  Expect<IsNever<Broadcast<[2, 3], [3, 3]>>>,
  Expect<IsNever<BroadcastDim<2, 3>>>,
  // several shapes
  Expect<Equal<BroadcastAll<[[2, 1], [1, 3], [3]]>, [2, 3]>>,
  Expect<Equal<BroadcastAll<[[], [4], [2, 1]]>, [2, 4]>>,
  Expect<Equal<BroadcastAll<[[2, 3]]>, [2, 3]>>,
  Expect<IsNever<BroadcastAll<[[2], [3], [1]]>>>,
  // broadcast_to
  Expect<Equal<BroadcastTo<[1, 3], [4, 3]>, [4, 3]>>,
  Expect<Equal<BroadcastTo<[3], [2, 4, 3]>, [2, 4, 3]>>,
  Expect<Equal<BroadcastTo<[number, 3], [4, 3]>, [4, 3]>>,
  Expect<IsNever<BroadcastTo<[2, 3], [4, 3]>>>,
  Expect<IsNever<BroadcastTo<[2, 3], [3]>>>,
  // checks: unknown when fine, a readable error object when not
  Expect<Equal<CheckBroadcast<[2, 3], [3]>, unknown>>,
  Expect<Equal<CheckBroadcast<[2, 3], [4]>, ShapeError<'shapes [2,3] and [4] do not broadcast'>>>,
  Expect<Equal<CheckBroadcast<[number, 3], [5, 4]>, ShapeError<'shapes [?,3] and [5,4] do not broadcast'>>>,
  Expect<Equal<CheckBroadcast<number[], [4]>, unknown>>,
  Expect<Equal<CheckBroadcastAll<[[2], [3], [1]]>, ShapeError<'shapes [2], [3], [1] do not broadcast'>>>,
  Expect<Equal<CheckBroadcastAll<[[2], [2], [1]]>, unknown>>,
  Expect<Equal<CheckBroadcastTo<[2, 3], [4, 3]>, ShapeError<'cannot broadcast [2,3] to [4,3]'>>>,
];

// ---- matmul and dot

export type Matmul = [
  Expect<Equal<MatmulShape<[3], [3]>, []>>,
  Expect<Equal<MatmulShape<[2, 3], [3, 4]>, [2, 4]>>,
  Expect<Equal<MatmulShape<[3], [3, 4]>, [4]>>,
  Expect<Equal<MatmulShape<[2, 3], [3]>, [2]>>,
  Expect<Equal<MatmulShape<[5, 2, 3], [3, 4]>, [5, 2, 4]>>,
  Expect<Equal<MatmulShape<[2, 3], [5, 3, 4]>, [5, 2, 4]>>,
  Expect<Equal<MatmulShape<[5, 1, 2, 3], [6, 3, 4]>, [5, 6, 2, 4]>>,
  Expect<Equal<MatmulShape<[3], [7, 3, 4]>, [7, 4]>>,
  Expect<Equal<MatmulShape<[7, 2, 3], [3]>, [7, 2]>>,
  Expect<Equal<MatmulShape<[number, 3], [3, number]>, [number, number]>>,
  Expect<Equal<MatmulShape<[2, 3], [number, 4]>, [2, 4]>>,
  Expect<Equal<MatmulShape<readonly [2, 3], readonly [3, 4]>, [2, 4]>>,
  Expect<Equal<MatmulShape<number[], [3, 4]>, number[]>>,
  Expect<IsNever<MatmulShape<[2, 3], [4, 5]>>>,
  Expect<IsNever<MatmulShape<[3], [4]>>>,
  Expect<IsNever<MatmulShape<[], [3]>>>,
  Expect<IsNever<MatmulShape<[2, 2, 3], [3, 3, 4]>>>,
  Expect<Equal<CheckMatmul<[2, 3], [3, 4]>, unknown>>,
  Expect<Equal<CheckMatmul<[2, 3], [4, 5]>, ShapeError<'matmul: inner dimensions differ: [2,3] @ [4,5] (3 vs 4)'>>>,
  Expect<Equal<CheckMatmul<[3], [4]>, ShapeError<'matmul: inner dimensions differ: [3] @ [4] (3 vs 4)'>>>,
  Expect<Equal<CheckMatmul<[], [4]>, ShapeError<'matmul: operands must have at least one axis, got [] @ [4]'>>>,
  Expect<Equal<CheckMatmul<[2, 2, 3], [3, 3, 4]>, ShapeError<'matmul: batch dimensions of [2,2,3] @ [3,3,4] do not broadcast'>>>,
  Expect<Equal<DotShape<[2, 3], [3, 4]>, [2, 4]>>,
  Expect<Equal<DotShape<[2, 3], [5, 3, 4]>, [2, 5, 4]>>,
  Expect<Equal<DotShape<[3], [3]>, []>>,
  Expect<Equal<DotShape<[], [2, 3]>, [2, 3]>>,
  Expect<IsNever<DotShape<[2, 3], [2, 3]>>>,
  Expect<Equal<CheckDot<[2, 3], [2, 3]>, ShapeError<'dot: shapes [2,3] and [2,3] not aligned'>>>,
];

// ---- reductions

export type Reduce = [
  Expect<Equal<ReduceShape<[2, 3, 4]>, []>>,
  Expect<Equal<ReduceShape<[2, 3, 4], undefined, true>, [1, 1, 1]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], 1>, [2, 4]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], -1>, [2, 3]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], 1, true>, [2, 1, 4]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], [0, 2]>, [3]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], readonly [0, -1], true>, [1, 3, 1]>>,
  Expect<Equal<ReduceShape<[2, 3, 4], []>, [2, 3, 4]>>,
  Expect<Equal<ReduceShape<readonly [2, 3], 0>, [3]>>,
  Expect<Equal<ReduceShape<[number, 3], 1>, [number]>>,
  // dynamic axis: right rank, dynamic dims
  Expect<Equal<ReduceShape<[2, 3, 4], number>, [number, number]>>,
  Expect<Equal<ReduceShape<[2, 1, 4], number, true>, [number, 1, number]>>,
  Expect<Equal<ReduceShape<[2, 3], number[]>, number[]>>,
  // options typed as wide as the runtime's ReduceOpts
  Expect<Equal<ReduceShape<[2, 3], AxisArg, false>, number[]>>,
  Expect<Equal<ReduceShape<[2, 3], AxisArg, true>, [number, number]>>,
  Expect<Equal<ReduceShape<[2, 3], undefined, boolean>, number[]>>,
  Expect<Equal<CheckAxis<[2, 3], AxisArg>, unknown>>,
  // unknown rank
  Expect<Equal<ReduceShape<number[], 1>, number[]>>,
  Expect<Equal<ReduceShape<number[]>, []>>,
  Expect<Equal<ReduceShape<number[], undefined, true>, 1[]>>,
  // invalid axes
  Expect<IsNever<ReduceShape<[2, 3, 4], 3>>>,
  Expect<IsNever<ReduceShape<[2, 3], -3>>>,
  Expect<IsNever<ReduceShape<[2, 3], [0, 0]>>>,
  Expect<IsNever<ReduceShape<[2, 3], [1, -1]>>>,
  Expect<IsNever<ReduceShape<[], 0>>>,
  Expect<Equal<CheckAxis<[2, 3], 1>, unknown>>,
  Expect<Equal<CheckAxis<[2, 3], undefined>, unknown>>,
  Expect<Equal<CheckAxis<[2, 3], -2>, unknown>>,
  Expect<Equal<CheckAxis<number[], 7>, unknown>>,
  Expect<Equal<CheckAxis<[2, 3], number>, unknown>>,
  Expect<Equal<CheckAxis<[2, 3], 2>, ShapeError<'axis 2 is out of range for rank 2'>>>,
  Expect<Equal<CheckAxis<[2, 3], -3>, ShapeError<'axis -3 is out of range for rank 2'>>>,
  Expect<Equal<CheckAxis<[2, 3], [0, 5]>, ShapeError<'axis 5 is out of range for rank 2'>>>,
  Expect<Equal<CheckAxis<[2, 3], [1, -1]>, ShapeError<'repeated axis in [1,-1]'>>>,
];

// ---- transpose

export type Transpose = [
  Expect<Equal<TransposeShape<[2, 3, 4]>, [4, 3, 2]>>,
  Expect<Equal<TransposeShape<[2, 3, 4], [1, 0, 2]>, [3, 2, 4]>>,
  Expect<Equal<TransposeShape<[2, 3, 4], readonly [-1, 0, 1]>, [4, 2, 3]>>,
  Expect<Equal<TransposeShape<[], []>, []>>,
  Expect<Equal<TransposeShape<[number, 3]>, [3, number]>>,
  Expect<Equal<TransposeShape<number[], [1, 0]>, [number, number]>>,
  Expect<Equal<TransposeShape<number[]>, number[]>>,
  Expect<Equal<TransposeShape<[2, 3], number[]>, [number, number]>>,
  Expect<IsNever<TransposeShape<[2, 3], [0, 2]>>>,
  Expect<IsNever<TransposeShape<[2, 3], [0, 0]>>>,
  Expect<IsNever<TransposeShape<[2, 3], [0]>>>,
  Expect<Equal<CheckTranspose<[2, 3], [1, 0]>, unknown>>,
  Expect<Equal<CheckTranspose<[2, 3], undefined>, unknown>>,
  Expect<Equal<CheckTranspose<[2, 3], [0, 2]>, ShapeError<'transpose: perm [0,2] is not a permutation of the 2 axes of [2,3]'>>>,
  Expect<Equal<SwapAxes<[2, 3, 4], 0, -1>, [4, 3, 2]>>,
  Expect<Equal<SwapAxes<[2, 3, 4], 1, 1>, [2, 3, 4]>>,
  Expect<IsNever<SwapAxes<[2, 3, 4], 0, 3>>>,
];

// ---- adding and removing axes

export type Axes = [
  Expect<Equal<ExpandDims<[2, 3], 0>, [1, 2, 3]>>,
  Expect<Equal<ExpandDims<[2, 3], 1>, [2, 1, 3]>>,
  Expect<Equal<ExpandDims<[2, 3], 2>, [2, 3, 1]>>,
  Expect<Equal<ExpandDims<[2, 3], -1>, [2, 3, 1]>>,
  Expect<Equal<ExpandDims<[2, 3], -3>, [1, 2, 3]>>,
  Expect<Equal<ExpandDims<[2, 3], [0, 3]>, [1, 2, 3, 1]>>,
  Expect<Equal<ExpandDims<[], 0>, [1]>>,
  Expect<Equal<ExpandDims<[2, 3], number>, [number, number, number]>>,
  Expect<Equal<ExpandDims<number[], 0>, number[]>>,
  Expect<IsNever<ExpandDims<[2, 3], 3>>>,
  Expect<IsNever<ExpandDims<[2, 3], -4>>>,
  Expect<Equal<CheckExpandDims<[2, 3], 3>, ShapeError<'expandDims: axis 3 is out of range for result rank 3'>>>,
  Expect<Equal<Squeeze<[1, 2, 1, 3]>, [2, 3]>>,
  Expect<Equal<Squeeze<[1, 2, number]>, [2, number]>>,
  Expect<Equal<Squeeze<[1, 2, 1], 0>, [2, 1]>>,
  Expect<Equal<Squeeze<[1, 2, 1], [0, -1]>, [2]>>,
  Expect<Equal<Squeeze<[number, 2], 0>, [2]>>,
  Expect<Equal<Squeeze<number[]>, number[]>>,
  Expect<IsNever<Squeeze<[1, 2], 1>>>,
  Expect<IsNever<Squeeze<[1, 2], 2>>>,
  Expect<Equal<CheckSqueeze<[1, 2], 1>, ShapeError<'squeeze: an axis in 1 of [1,2] does not have size 1'>>>,
  Expect<Equal<CheckSqueeze<[1, 2], 2>, ShapeError<'squeeze: axis 2 is out of range for rank 2'>>>,
  Expect<Equal<IndexAxis<[2, 3, 4]>, [3, 4]>>,
  Expect<Equal<IndexAxis<[2, 3, 4], 1>, [2, 4]>>,
  Expect<Equal<IndexAxis<[2, 3, 4], -1>, [2, 3]>>,
  Expect<Equal<IndexAxis<[2, 3], number>, [number]>>,
  Expect<IsNever<IndexAxis<[2, 3], 2>>>,
  Expect<Equal<OneHot<[2, 3], 10>, [2, 3, 10]>>,
  Expect<Equal<OneHot<readonly [5], number>, [5, number]>>,
  Expect<Equal<OneHot<number[], 10>, number[]>>,
];

// ---- joining

export type Joining = [
  Expect<Equal<UnifyDim<3, 3>, 3>>,
  Expect<Equal<UnifyDim<number, 3>, 3>>,
  Expect<IsNever<UnifyDim<2, 3>>>,
  Expect<Equal<Concat<[[2, 3], [4, 3]]>, [6, 3]>>,
  Expect<Equal<Concat<[[2, 3], [2, 5]], 1>, [2, 8]>>,
  Expect<Equal<Concat<[[2, 3], [2, 5], [2, 1]], -1>, [2, 9]>>,
  Expect<Equal<Concat<[[1000, 3], [2500, 3]]>, [3500, 3]>>,
  Expect<Equal<Concat<[[2, 3], [number, 3]]>, [number, 3]>>,
  Expect<Equal<Concat<[[2, number], [4, 3]]>, [6, 3]>>,
  Expect<Equal<Concat<[[2, 3]]>, [2, 3]>>,
  Expect<Equal<Concat<[2, 3][]>, [number, 3]>>,
  Expect<Equal<Concat<[2, 3][], 1>, [2, number]>>,
  Expect<Equal<Concat<[number[], [2]]>, number[]>>,
  Expect<IsNever<Concat<[[2, 3], [2, 4]]>>>,
  Expect<IsNever<Concat<[[2, 3], [2]]>>>,
  Expect<IsNever<Concat<[[2, 3], [2, 3]], 2>>>,
  Expect<IsNever<Concat<[]>>>,
  Expect<Equal<CheckConcat<[[2, 3], [2, 4]]>, ShapeError<'concatenate: shapes [2,3], [2,4] cannot be joined along axis 0'>>>,
  Expect<Equal<Stack<[2, 3], 4>, [4, 2, 3]>>,
  Expect<Equal<Stack<[2, 3], 4, 1>, [2, 4, 3]>>,
  Expect<Equal<Stack<[2, 3], 4, 2>, [2, 3, 4]>>,
  Expect<Equal<Stack<[2, 3], 4, -1>, [2, 3, 4]>>,
  Expect<IsNever<Stack<[2, 3], 4, 3>>>,
  Expect<Equal<StackAll<[[2, 3], [2, 3], [2, 3]], 1>, [2, 3, 3]>>,
  Expect<Equal<StackAll<[[2, number], [2, 3]]>, [2, 2, 3]>>,
  Expect<Equal<StackAll<[2, 3][]>, [number, 2, 3]>>,
  Expect<IsNever<StackAll<[[2, 3], [3, 2]]>>>,
  Expect<Equal<CheckStack<[[2, 3], [3, 2]]>, ShapeError<'stack: shapes [2,3], [3,2] cannot be stacked along axis 0'>>>,
];

// ---- reshape

export type Reshape = [
  Expect<Equal<ReshapeShape<[2, 3], [3, 2]>, [3, 2]>>,
  Expect<Equal<ReshapeShape<[2, 3], readonly [6]>, [6]>>,
  Expect<Equal<ReshapeShape<[2, 3], [-1]>, [6]>>,
  Expect<Equal<ReshapeShape<[4, 784], [-1, 28, 28]>, [4, 28, 28]>>,
  Expect<Equal<ReshapeShape<[32, 3, 224, 224], [32, -1]>, [32, 150528]>>,
  Expect<Equal<ReshapeShape<[6], [2, -1, 1]>, [2, 3, 1]>>,
  Expect<Equal<ReshapeShape<[number, 784], [-1, 28, 28]>, [number, 28, 28]>>,
  Expect<Equal<ReshapeShape<[2, 3], [number, 2]>, [number, 2]>>,
  Expect<Equal<ReshapeShape<[number, 3], [4, 2]>, [4, 2]>>,
  Expect<Equal<ReshapeShape<number[], [2, 3]>, [2, 3]>>,
  Expect<Equal<ReshapeShape<[2, 3], number[]>, number[]>>,
  Expect<Equal<ReshapeShape<[], []>, []>>,
  Expect<Equal<ReshapeShape<[0, 3], [0, -1]>, [0, number]>>,
  Expect<Equal<Flatten<[2, 3, 4]>, [24]>>,
  Expect<IsNever<ReshapeShape<[2, 3], [4, 2]>>>,
  Expect<IsNever<ReshapeShape<[2, 3], [4, -1]>>>,
  Expect<IsNever<ReshapeShape<[2, 3], [-1, -1]>>>,
  Expect<IsNever<ReshapeShape<[2, 3], [-2, -3]>>>,
  Expect<Equal<CheckReshape<[2, 3], [3, 2]>, unknown>>,
  Expect<Equal<CheckReshape<[2, 3], [4, 2]>, ShapeError<'reshape: cannot reshape [2,3] (6 elements) to [4,2]'>>>,
  Expect<Equal<CheckReshape<[2, 3], [4, -1]>, ShapeError<'reshape: cannot reshape [2,3] (6 elements) to [4,-1]'>>>,
];

// ---- indexing

type Idx = { readonly shape: [2, 4] };
export type Indexing = [
  Expect<Equal<SliceShape<[5, 6], [1]>, [6]>>,
  Expect<Equal<SliceShape<[5, 6], [-5]>, [6]>>,
  Expect<Equal<SliceShape<[5, 6], [1, 2]>, []>>,
  Expect<Equal<SliceShape<[5, 6], [null, readonly [1, 4]]>, [5, 3]>>,
  Expect<Equal<SliceShape<[5, 6], ['...', 0]>, [5]>>,
  Expect<Equal<SliceShape<[5, 6, 7], [0, '...']>, [6, 7]>>,
  Expect<Equal<SliceShape<[5, 6], ['newaxis']>, [1, 5, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [null, 'newaxis']>, [5, 1, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[]]>, [5, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[null, null, -1]]>, [5, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[null, null, -2]]>, [3, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[0, 5, 2]]>, [3, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[1]]>, [4, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[-2]]>, [2, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[undefined, -1]]>, [4, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[10]]>, [0, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[3, 1]]>, [0, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [null, Idx]>, [5, 2, 4]>>,
  Expect<Equal<SliceShape<[number, 6], [[1, 3]]>, [number, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [[number, 3]]>, [number, 6]>>,
  Expect<Equal<SliceShape<[5, 6], [number]>, [6]>>,
  Expect<Equal<SliceShape<[5, 6], []>, [5, 6]>>,
  Expect<Equal<SliceShape<[5, 6], IndexEntry[]>, number[]>>,
  Expect<Equal<SliceShape<number[], [0]>, number[]>>,
  Expect<IsNever<SliceShape<[5, 6], [5]>>>,
  Expect<IsNever<SliceShape<[5, 6], [-6]>>>,
  Expect<IsNever<SliceShape<[5, 6], [0, 0, 0]>>>,
  Expect<IsNever<SliceShape<[5, 6], ['...', '...']>>>,
  Expect<Equal<CheckSlice<[5, 6], [0]>, unknown>>,
];

// ---- a mock Tensor: the method patterns recommended for dsl/tensor.ts

declare class T<S extends Shape> {
  declare readonly __shape?: S;
  readonly shape: S;
  add<B extends Shape>(o: T<B> & CheckBroadcast<S, B>): T<Broadcast<S, B>>;
  /** With scalars allowed: B is not inferred from a number and defaults to [] (a scalar). */
  mul<B extends Shape = []>(o: number | (T<B> & CheckBroadcast<S, B>)): T<Broadcast<S, B>>;
  matmul<B extends Shape>(o: T<B> & CheckMatmul<S, B>): T<MatmulShape<S, B>>;
  sum<const A extends AxisArg = undefined, K extends boolean = false>(opts?: {
    axis?: A & CheckAxis<S, A>;
    keepdims?: K;
  }): T<ReduceShape<S, A, K>>;
  transpose<const P extends readonly number[] | undefined = undefined>(perm?: P & CheckTranspose<S, P>): T<TransposeShape<S, P>>;
  reshape<const R extends Shape>(shape: R & CheckReshape<S, R>): T<ReshapeShape<S, R>>;
  expandDims<const A extends number | readonly number[]>(axis: A & CheckExpandDims<S, A>): T<ExpandDims<S, A>>;
  squeeze<const A extends AxisArg = undefined>(axis?: A & CheckSqueeze<S, A>): T<Squeeze<S, A>>;
  slice<const P extends readonly IndexEntry[]>(...specs: P & CheckSlice<S, P>): T<SliceShape<S, P>>;
}
declare function zeros<const S extends Shape>(shape: S): T<[...S]>;
declare function where<C extends Shape, A extends Shape, B extends Shape>(
  cond: T<C>,
  a: T<A>,
  b: T<B> & CheckBroadcastAll<[C, A, B]>,
): T<BroadcastAll<[C, A, B]>>;
type ShapesOf<L extends readonly T<Shape>[]> = { -readonly [K in keyof L]: L[K] extends T<infer S> ? S : never };
declare function concatenate<const L extends readonly T<Shape>[], const A extends number = 0>(
  xs: L & CheckConcat<ShapesOf<L>, A>,
  axis?: A,
): T<Concat<ShapesOf<L>, A>>;

export function literalShapes(): void {
  const a = zeros([2, 3]);
  const b = zeros([3]);
  const c = zeros([4]);
  const m = zeros([3, 4]);
  const x = zeros([2, 3, 4]);
  const SHAPE = [2, 3] as const;
  const fromConst = zeros(SHAPE);
  const scalar = zeros([]);
  type _inference = [
    Expect<Equal<typeof a, T<[2, 3]>>>,
    Expect<Equal<typeof fromConst, T<[2, 3]>>>,
    Expect<Equal<typeof scalar, T<[]>>>,
  ];
  const ab = a.add(b);
  const a2 = a.mul(2);
  const ab2 = a.mul(zeros([2, 1]));
  const am = a.matmul(m);
  const s0 = x.sum();
  const s1 = x.sum({ axis: 1 });
  const s2 = x.sum({ axis: [0, -1], keepdims: true });
  const s3 = x.sum({ keepdims: true });
  const t0 = x.transpose();
  const t1 = x.transpose([1, 0, 2]);
  const r0 = x.reshape([-1, 4]);
  const r1 = x.reshape([6, 4]);
  const e0 = a.expandDims(1);
  const q0 = zeros([1, 3, 1]).squeeze();
  const q1 = zeros([1, 3, 1]).squeeze(0);
  const i0 = x.slice(0, [1, 3]);
  const w = where(zeros([2, 1]), zeros([3]), zeros([]));
  const cc = concatenate([a, zeros([4, 3])]);
  const cc1 = concatenate([a, zeros([2, 5])], 1);
  type _results = [
    Expect<Equal<typeof ab, T<[2, 3]>>>,
    Expect<Equal<typeof a2, T<[2, 3]>>>,
    Expect<Equal<typeof ab2, T<[2, 3]>>>,
    Expect<Equal<typeof am, T<[2, 4]>>>,
    Expect<Equal<typeof s0, T<[]>>>,
    Expect<Equal<typeof s1, T<[2, 4]>>>,
    Expect<Equal<typeof s2, T<[1, 3, 1]>>>,
    Expect<Equal<typeof s3, T<[1, 1, 1]>>>,
    Expect<Equal<typeof t0, T<[4, 3, 2]>>>,
    Expect<Equal<typeof t1, T<[3, 2, 4]>>>,
    Expect<Equal<typeof r0, T<[6, 4]>>>,
    Expect<Equal<typeof r1, T<[6, 4]>>>,
    Expect<Equal<typeof e0, T<[2, 1, 3]>>>,
    Expect<Equal<typeof q0, T<[3]>>>,
    Expect<Equal<typeof q1, T<[3, 1]>>>,
    Expect<Equal<typeof i0, T<[2, 4]>>>,
    Expect<Equal<typeof w, T<[2, 3]>>>,
    Expect<Equal<typeof cc, T<[6, 3]>>>,
    Expect<Equal<typeof cc1, T<[2, 8]>>>,
  ];

  // The message is part of the parameter type, so it shows in the diagnostic.
  type _message = [
    Expect<Equal<Parameters<typeof a.add<[4]>>[0], T<[4]> & ShapeError<'shapes [2,3] and [4] do not broadcast'>>>,
    Expect<Equal<Parameters<typeof a.add<[3]>>[0], T<[3]>>>,
    Expect<Equal<Parameters<typeof a.matmul<[4, 5]>>[0], T<[4, 5]> & ShapeError<'matmul: inner dimensions differ: [2,3] @ [4,5] (3 vs 4)'>>>,
  ];

  // @ts-expect-error shapes [2,3] and [4] do not broadcast
  const bad = a.add(c);
  // ... and its never-shaped result does not raise more errors downstream
  type _bad = Expect<Equal<typeof bad, T<never>>>;
  bad.add(a);
  a.add(bad);
  bad.matmul(m);
  bad.sum({ axis: 5 });
  bad.transpose([7]);
  bad.reshape([5, 5]);
  where(bad, a, c);
  // @ts-expect-error shapes [2,3] and [4] do not broadcast
  a.mul(c);
  // @ts-expect-error matmul: inner dimensions differ
  a.matmul(zeros([4, 5]));
  // @ts-expect-error axis 3 is out of range for rank 3
  x.sum({ axis: 3 });
  // @ts-expect-error axis -4 is out of range for rank 3
  x.sum({ axis: -4, keepdims: true });
  // @ts-expect-error axis 5 is out of range for rank 3
  x.sum({ axis: [0, 5] });
  // @ts-expect-error repeated axis
  x.sum({ axis: [1, -2] });
  // @ts-expect-error perm entry 3 out of range
  x.transpose([0, 1, 3]);
  // @ts-expect-error perm is too short
  x.transpose([1, 0]);
  // @ts-expect-error cannot reshape 24 elements to [5, 5]
  x.reshape([5, 5]);
  // @ts-expect-error -1 does not divide
  x.reshape([5, -1]);
  // @ts-expect-error expand_dims axis out of range
  a.expandDims(3);
  // @ts-expect-error axis 1 has size 3
  zeros([1, 3]).squeeze(1);
  // @ts-expect-error index 2 out of bounds for size 2
  x.slice(2);
  // @ts-expect-error too many indices
  a.slice(0, 0, 0);
  // @ts-expect-error where: [2,1], [3] and [4] do not broadcast
  where(zeros([2, 1]), zeros([3]), zeros([4]));
  // @ts-expect-error concatenate: [2,3] and [2,4] differ outside axis 0
  concatenate([a, zeros([2, 4])]);
}

// Dynamic dims and unknown ranks must type-check without casts.
export function computedShapes(n: number, dims: number[]): void {
  const z = zeros([n, 3]);
  const d = zeros(dims);
  const zz = z.add(zeros([2, 3]));
  const zs = z.sum({ axis: 1 });
  const zm = z.matmul(zeros([3, n]));
  const zr = z.reshape([-1]);
  const dd = d.add(zeros([2]));
  const ds = d.sum({ axis: 7 });
  const dt = d.transpose([1, 0]);
  const dr = d.reshape([2, -1]);
  const dm = d.matmul(z);
  const opts: { axis?: number | readonly number[]; keepdims?: boolean } = {};
  const zo = z.sum(opts);
  type _ = [
    Expect<Equal<typeof z, T<[number, 3]>>>,
    Expect<Equal<typeof d, T<number[]>>>,
    Expect<Equal<typeof zz, T<[2, 3]>>>,
    Expect<Equal<typeof zs, T<[number]>>>,
    Expect<Equal<typeof zm, T<[number, number]>>>,
    Expect<Equal<typeof zr, T<[number]>>>,
    Expect<Equal<typeof dd, T<number[]>>>,
    Expect<Equal<typeof ds, T<number[]>>>,
    Expect<Equal<typeof dt, T<[number, number]>>>,
    Expect<Equal<typeof dr, T<[2, number]>>>,
    Expect<Equal<typeof dm, T<number[]>>>,
    Expect<Equal<typeof zo, T<number[]>>>,
  ];
  // a static mismatch is still caught next to a dynamic dim
  // @ts-expect-error shapes [?,3] and [4] do not broadcast
  z.add(zeros([4]));
}

// Code generic over shapes must type-check without casts; nothing is known, nothing is rejected.
export function genericOne<S extends Shape>(x: T<S>) {
  const y = x.add(x);
  const y2 = x.mul(2);
  const y3 = x.mul(x);
  const m = x.matmul(x);
  const s = x.sum({ axis: 0 });
  const sk = x.sum({ axis: [0, 1], keepdims: true });
  const t = x.transpose([1, 0]);
  const tr = x.transpose();
  const r = x.reshape([-1]);
  const e = x.expandDims(0);
  const q = x.squeeze();
  const i = x.slice(0);
  return [y, y2, y3, m, s, sk, t, tr, r, e, q, i] as const;
}
export function genericTwo<S extends Shape, B extends Shape>(x: T<S>, y: T<B>) {
  return [x.add(y), x.matmul(y), y.add(x), where(x, y, x)] as const;
}
export function genericZeros<S extends Shape>(shape: S): T<S> {
  return zeros(shape);
}
export function shapeParam<S extends Shape>(x: T<S>): T<S> {
  return zeros(x.shape);
}
export function batchGeneric<N extends number>(x: T<[N, 784]>, w: T<[784, 10]>, bias: T<[10]>) {
  const h = x.matmul(w);
  const o = h.add(bias);
  const s = o.sum({ axis: -1 });
  type _ = [Expect<Equal<typeof h, T<[N, 10]>>>, Expect<Equal<typeof o, T<[N, 10]>>>, Expect<Equal<typeof s, T<[N]>>>];
  // @ts-expect-error inner dimensions 784 vs 10 still differ with a generic batch
  x.matmul(bias.reshape([10, 1]));
  return s;
}
export function unknownRank(x: T<Shape>) {
  const y = x.add(x);
  const s = x.sum({ axis: 3 });
  type _ = [Expect<Equal<typeof y, T<number[]>>>, Expect<Equal<typeof s, T<number[]>>>];
  return [x.transpose([0, 1]), x.reshape([2, -1]), x.matmul(x), x.expandDims(0), x.slice(0, [1, 2])] as const;
}
