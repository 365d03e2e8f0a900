// The graph IR: typed SSA functions of equations, in the spirit of jaxprs.
import type { DType } from './dtype.ts';
import type { Primitive, PrimitiveParams } from './primitives.ts';

/** The abstract value of an IR value: shape and dtype (JAX's ShapedArray). */
export interface AVal {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export function aval(shape: readonly number[], dtype: DType): AVal {
  return { shape: [...shape], dtype };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements) of a contiguous array of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function avalToString(a: AVal): string {
  return `${a.dtype}[${a.shape.join(',')}]`;
}

export function sameAval(a: AVal, b: AVal): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

let nextVarId = 0;

/** An SSA value. Identity is object identity; `id` only orders and names them. */
export class Var {
  readonly id = nextVarId++;
  constructor(readonly aval: AVal) {}
}

/** Where in the user's code an equation was made. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function locToString(l: SourceLoc): string {
  return `${l.file}:${l.line}:${l.col}`;
}

/** One equation: outputs = primitive[params](inputs). A discriminated union over primitives. */
export type Eqn = {
  [P in Primitive]: {
    readonly primitive: P;
    readonly params: PrimitiveParams[P];
    readonly inputs: readonly Var[];
    readonly outputs: readonly Var[];
    readonly loc?: SourceLoc;
  };
}[Primitive];

export type EqnOf<P extends Primitive> = Extract<Eqn, { primitive: P }>;

/** A typed SSA function: inputs, equations in order, outputs (which may be inputs). */
export interface Func {
  readonly name: string;
  readonly inputs: readonly Var[];
  readonly eqns: readonly Eqn[];
  readonly outputs: readonly Var[];
}

export function makeEqn<P extends Primitive>(
  primitive: P,
  params: PrimitiveParams[P],
  inputs: readonly Var[],
  outputs: readonly Var[],
  loc?: SourceLoc,
): Eqn {
  return { primitive, params, inputs, outputs, loc } as Eqn;
}
