// K-fold cross-validation splits (the book's get_k_fold_data / k_fold_data).
import { Tensor } from '../../dsl/tensor.ts';
import { DataError, HostArray, toHostArray, type ArrayInput } from './host.ts';

/** One fold: the training part and the validation part, of the same kind as the input. */
export interface Fold<T> {
  xTrain: T;
  yTrain: T;
  xValid: T;
  yValid: T;
}

/**
 * Fold `i` of `k`: rows [i*f, (i+1)*f) validate, the other folds train, where
 * f = floor(n / k). As in the book, the last n - k*f rows belong to no fold.
 * Tensors in give Tensors out; HostArrays give HostArrays.
 */
export function kFold<T extends ArrayInput>(k: number, i: number, x: T, y: T): Fold<T> {
  const hx = toHostArray(x, 'kFold x'), hy = toHostArray(y, 'kFold y');
  if (!Number.isInteger(k) || k < 2) throw new DataError(`kFold: k must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(i) || i < 0 || i >= k) throw new DataError(`kFold: fold ${i} is not in 0..${k - 1}`);
  if (hx.shape.length === 0 || hx.length !== hy.length) throw new DataError(`kFold: x has ${hx.length} rows but y has ${hy.length}`);
  const f = Math.floor(hx.length / k);
  if (f === 0) throw new DataError(`kFold: ${hx.length} rows are too few for ${k} folds`);
  const trainParts = (a: HostArray): HostArray =>
    HostArray.concat(Array.from({ length: k }, (_, j) => j).filter((j) => j !== i).map((j) => a.rows(j * f, (j + 1) * f)));
  const wrap = (a: HostArray): T => (x instanceof Tensor ? a.toTensor() : a) as T;
  return {
    xTrain: wrap(trainParts(hx)),
    yTrain: wrap(trainParts(hy)),
    xValid: wrap(hx.rows(i * f, (i + 1) * f)),
    yValid: wrap(hy.rows(i * f, (i + 1) * f)),
  };
}

/** All k folds, in order. */
export function kFoldSplits<T extends ArrayInput>(k: number, x: T, y: T): Fold<T>[] {
  // Copy Tensors to the host once, fold the host arrays, and give back the input's kind.
  const hx = toHostArray(x, 'kFold x'), hy = toHostArray(y, 'kFold y');
  return Array.from({ length: k }, (_, i) => {
    const fo = kFold(k, i, hx, hy);
    if (!(x instanceof Tensor)) return fo as unknown as Fold<T>;
    return { xTrain: fo.xTrain.toTensor(), yTrain: fo.yTrain.toTensor(), xValid: fo.xValid.toTensor(), yValid: fo.yValid.toTensor() } as Fold<T>;
  });
}
