// The book's synthetic regression data (3.2.1 / 3.4): y = Xw + b + noise.
import { array } from '../../dsl/creation.ts';
import { add } from '../../dsl/elementwise.ts';
import { matmul } from '../../dsl/linalg.ts';
import { normal, split, type Key } from '../../dsl/random.ts';
import { reshape } from '../../dsl/shape-ops.ts';
import { Tensor } from '../../dsl/tensor.ts';
import { DataError } from './host.ts';

/**
 * `n` examples of linear data: features X ~ N(0, 1) of shape [n, len(w)] and labels
 * y = X w + b + N(0, noise²) of shape [n, 1] (noise 0.01 as in the book), all f32.
 */
export function syntheticData(w: Tensor | readonly number[], b: number, n: number, key: Key, opts: { noise?: number } = {}): { x: Tensor; y: Tensor } {
  const wt = w instanceof Tensor ? w.astype('f32') : array([...w], { dtype: 'f32' });
  if (wt.ndim !== 1 && !(wt.ndim === 2 && wt.shape[1] === 1)) throw new DataError(`syntheticData: w must be a vector, got shape [${wt.shape.join(', ')}]`);
  if (!Number.isInteger(n) || n < 0) throw new DataError(`syntheticData: n must be a non-negative integer, got ${n}`);
  const d = wt.shape[0]!;
  const [kx, kn] = split(key, 2) as [Key, Key];
  const x = normal(kx, [n, d]);
  const noise = normal(kn, [n, 1], { std: opts.noise ?? 0.01 });
  const y = add(add(matmul(x, reshape(wt, [d, 1])), b), noise);
  return { x, y };
}
