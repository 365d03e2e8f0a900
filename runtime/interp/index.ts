// The reference interpreter: the oracle that every compiled backend is compared with.
export type { HostTensor } from './tensor.ts';
export { hostTensor, checkTensor } from './tensor.ts';
export { evalPrimitive, evalFunc } from './eval.ts';
export { threefry2x32 } from './random.ts';
export { roundF16, roundBF16, roundHalfEven, convertValue } from '../../compiler/ir/numeric.ts';
export { stridesOf, ravel, unravel } from './indexing.ts';
