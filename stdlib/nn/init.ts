// Parameter initialisers (the book's section 5.2.2): functions `(key, shape, dtype) => Tensor`
// that draw a parameter from an explicit random key. `zeros` and `ones` are initialisers;
// the others are made by a factory taking their settings, e.g. `normal(0.01)`,
// `xavierUniform()`. Fans follow PyTorch: for a weight of shape [out, in, ...kernel],
// fanIn = in * prod(kernel) and fanOut = out * prod(kernel).
import type { DType } from '../../compiler/ir/dtype.ts';
import { full } from '../../dsl/creation.ts';
import * as random from '../../dsl/random.ts';
import type { Initializer } from './module.ts';

export type { Initializer };

/** The fans of a parameter shape, as PyTorch computes them (a vector counts its length for both). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** All zeros (`nn.init.zeros_`). */
export const zeros: Initializer = (_key, shape, dtype) => full(shape, 0, dtype);

/** All ones (`nn.init.ones_`). */
export const ones: Initializer = (_key, shape, dtype) => full(shape, 1, dtype);

/** Every element `c` (`nn.init.constant_`). */
export function constant(c: number): Initializer {
  return (_key, shape, dtype) => full(shape, c, dtype);
}

/** Normal values N(mean, std²); the book's default `normal(0.01)`. */
export function normal(std = 0.01, mean = 0): Initializer {
  return (key, shape, dtype) => random.normal(key, shape, { mean, std, dtype: floatType(dtype) });
}

/** Uniform values in [a, b). */
export function uniform(a = 0, b = 1): Initializer {
  return (key, shape, dtype) => random.uniform(key, shape, { minval: a, maxval: b, dtype: floatType(dtype) });
}

/** Xavier (Glorot) uniform: U(-bound, bound) with bound = gain·√(6 / (fanIn + fanOut)) (section 5.4.2.3). */
export function xavierUniform(gain = 1): Initializer {
  return (key, shape, dtype) => {
    const { fanIn, fanOut } = fans(shape);
    const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
    return uniform(-bound, bound)(key, shape, dtype);
  };
}

/** Xavier (Glorot) normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(gain = 1): Initializer {
  return (key, shape, dtype) => {
    const { fanIn, fanOut } = fans(shape);
    return normal(gain * Math.sqrt(2 / (fanIn + fanOut)))(key, shape, dtype);
  };
}

/** Options of the Kaiming (He) initialisers, as PyTorch's `kaiming_uniform_`. */
export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or of the backward pass ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity that follows, which sets the gain (default 'leakyRelu', with slope `a`). */
  nonlinearity?: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';
}

/** The recommended gain of a nonlinearity (PyTorch's `calculate_gain`). */
export function gain(nonlinearity: NonNullable<KaimingOptions['nonlinearity']>, a = 0): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
      return Math.sqrt(2 / (1 + a * a));
    default:
      return nonlinearity satisfies never;
  }
}

function kaimingStd(shape: readonly number[], opts: KaimingOptions): number {
  const { fanIn, fanOut } = fans(shape);
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  return gain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0) / Math.sqrt(fan);
}

/**
 * Kaiming (He) uniform: U(-bound, bound) with bound = gain·√(3 / fan). With `{ a: Math.sqrt(5) }`
 * it is PyTorch's default for Linear weights, bound = 1/√fanIn (`linearWeight`).
 */
export function kaimingUniform(opts: KaimingOptions = {}): Initializer {
  return (key, shape, dtype) => {
    const bound = Math.sqrt(3) * kaimingStd(shape, opts);
    return uniform(-bound, bound)(key, shape, dtype);
  };
}

/** Kaiming (He) normal: N(0, σ²) with σ = gain / √fan. */
export function kaimingNormal(opts: KaimingOptions = {}): Initializer {
  return (key, shape, dtype) => normal(kaimingStd(shape, opts))(key, shape, dtype);
}

/** PyTorch's default Linear weight initialiser: U(-1/√fanIn, 1/√fanIn) (kaimingUniform with a = √5). */
export const linearWeight: Initializer = kaimingUniform({ a: Math.sqrt(5) });

/** PyTorch's default Linear bias initialiser for `inFeatures` inputs: U(-1/√in, 1/√in). */
export function linearBias(inFeatures: number): Initializer {
  const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
  return uniform(-bound, bound);
}

function floatType(dtype: DType): DType {
  return dtype === 'f64' || dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' ? dtype : 'f32';
}
