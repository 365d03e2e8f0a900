// Type-level shape arithmetic for the tensor DSL: the result shapes of broadcasting, matmul,
// reductions, transposes, reshapes, indexing, ... computed from the shapes in the types.
//
// Conventions (all types here follow them):
// - A shape is a tuple of dims. A literal dim (`3`) is static; `number` is a dynamic dim.
// - A shape whose rank is unknown (`number[]`, `readonly number[]`) gives `number[]` results.
// - Results are mutable tuples (`[2, 3]`) whether the input was readonly or not.
// - An invalid combination gives `never`; each `Check*` type turns that into an argument type
//   that no value satisfies and whose name carries the message (see `ShapeCheck`).
// - Generic shapes (a type parameter `S`) leave results unevaluated and are always accepted
//   by the `Check*` types: only what is known to be wrong is rejected.
// - Dim arithmetic works on decimal digits, so its cost grows with the number of digits,
//   not with the values; results that do not fit a safe integer fall back to `number`.

/** A tensor shape: a tuple of dims; `number` in a position is a dynamic dim. */
export type Shape = readonly number[];

/** The type a `Check*` resolves to when shapes do not fit; its name shows the message. */
export type ShapeError<Msg extends string> = { readonly __shapeError: Msg };

/**
 * `ShapeError<Msg>` when `Result` (a computed shape, or any type that is `never` on failure) is
 * `never`, else `unknown`. Intersect an argument's type with it:
 * `other: Tensor<B, D> & CheckBroadcast<S, B>`.
 *
 * While `Result` still depends on a type parameter the check stays unevaluated, and the
 * template-literal test makes TypeScript accept any argument for it (it only has to relate to
 * the `unknown` branch), so code generic over shapes type-checks; a plain conditional would
 * demand both branches and reject it. An input shape that is already `never` (the result of
 * an earlier error, listed in `Inputs`) is accepted: one mistake gives one error, not a cascade.
 */
export type ShapeCheck<Result, Msg extends string, Inputs extends readonly unknown[] = []> = `${[Result] extends [never]
  ? HasNever<Inputs> extends true
    ? 'ok'
    : 'bad'
  : 'ok'}` extends 'bad'
  ? ShapeError<Msg>
  : unknown;
type HasNever<L extends readonly unknown[]> = L extends readonly [infer H, ...infer R] ? ([H] extends [never] ? true : HasNever<R>) : false;

/** `true` when the rank of S is known (S is a tuple without rest elements). */
export type IsFixedRank<S extends readonly unknown[]> = number extends S['length'] ? false : true;

/** A dim or axis that is not one literal (`number`, or a union such as `2 | 3`) counts as dynamic. */
type IsDyn<X> = number extends X ? true : IsUnion<X>;
type IsUnion<T, U = T> = [T] extends [never] ? false : T extends unknown ? ([U] extends [T] ? false : true) : false;

/** `true` when D is a static dim: one literal (`number` and unions like `2 | 3` are dynamic). */
export type IsStaticDim<D extends number> = IsDyn<D> extends true ? false : true;

/** The rank of S (`number` when unknown). */
export type Rank<S extends Shape> = S['length'];

/** S as a mutable tuple (`readonly [2, 3]` → `[2, 3]`). */
export type Writable<S extends Shape> = [...S];

// ---------------------------------------------------------------------------------------------
// Rendering, for messages

type DimStr<D extends number> = IsDyn<D> extends true ? '?' : `${D}`;
type JoinDims<S extends Shape, Acc extends string = ''> = S extends readonly [infer H extends number, ...infer R extends Shape]
  ? JoinDims<R, Acc extends '' ? DimStr<H> : `${Acc},${DimStr<H>}`>
  : Acc;

/** A shape as text for messages: `[2,3]`; dynamic dims print as `?`, unknown rank as `[...]`. */
export type ShapeStr<S extends Shape> = IsFixedRank<S> extends true ? `[${JoinDims<S>}]` : '[...]';

type AxisStr<A> = A extends number ? DimStr<A> : A extends Shape ? ShapeStr<A> : 'none';

type JoinShapes<L extends readonly Shape[], Acc extends string = ''> = IsFixedRank<L> extends false
  ? '...'
  : L extends readonly [infer H extends Shape, ...infer R extends readonly Shape[]]
    ? JoinShapes<R, Acc extends '' ? ShapeStr<H> : `${Acc}, ${ShapeStr<H>}`>
    : Acc;

// ---------------------------------------------------------------------------------------------
// Natural-number arithmetic on dims. Numbers are little-endian lists of decimal digits, so
// recursion depth is the number of digits (at most ~16), never the value. Internal parameters
// are left unconstrained on purpose: constraints would make the checker expand unions of
// digit tuples when it checks these declarations.

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type LE = Digit[];
type DigitLen = {
  '0': [];
  '1': [0];
  '2': [0, 0];
  '3': [0, 0, 0];
  '4': [0, 0, 0, 0];
  '5': [0, 0, 0, 0, 0];
  '6': [0, 0, 0, 0, 0, 0];
  '7': [0, 0, 0, 0, 0, 0, 0];
  '8': [0, 0, 0, 0, 0, 0, 0, 0];
  '9': [0, 0, 0, 0, 0, 0, 0, 0, 0];
};
type DL<d> = d extends Digit ? DigitLen[d] : [];
type Ten = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/** Products of two digits as [tens, units]. */
type MulTable = {
  '0': [['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0'], ['0', '0']];
  '1': [['0', '0'], ['0', '1'], ['0', '2'], ['0', '3'], ['0', '4'], ['0', '5'], ['0', '6'], ['0', '7'], ['0', '8'], ['0', '9']];
  '2': [['0', '0'], ['0', '2'], ['0', '4'], ['0', '6'], ['0', '8'], ['1', '0'], ['1', '2'], ['1', '4'], ['1', '6'], ['1', '8']];
  '3': [['0', '0'], ['0', '3'], ['0', '6'], ['0', '9'], ['1', '2'], ['1', '5'], ['1', '8'], ['2', '1'], ['2', '4'], ['2', '7']];
  '4': [['0', '0'], ['0', '4'], ['0', '8'], ['1', '2'], ['1', '6'], ['2', '0'], ['2', '4'], ['2', '8'], ['3', '2'], ['3', '6']];
  '5': [['0', '0'], ['0', '5'], ['1', '0'], ['1', '5'], ['2', '0'], ['2', '5'], ['3', '0'], ['3', '5'], ['4', '0'], ['4', '5']];
  '6': [['0', '0'], ['0', '6'], ['1', '2'], ['1', '8'], ['2', '4'], ['3', '0'], ['3', '6'], ['4', '2'], ['4', '8'], ['5', '4']];
  '7': [['0', '0'], ['0', '7'], ['1', '4'], ['2', '1'], ['2', '8'], ['3', '5'], ['4', '2'], ['4', '9'], ['5', '6'], ['6', '3']];
  '8': [['0', '0'], ['0', '8'], ['1', '6'], ['2', '4'], ['3', '2'], ['4', '0'], ['4', '8'], ['5', '6'], ['6', '4'], ['7', '2']];
  '9': [['0', '0'], ['0', '9'], ['1', '8'], ['2', '7'], ['3', '6'], ['4', '5'], ['5', '4'], ['6', '3'], ['7', '2'], ['8', '1']];
};
/** A count 0..99 as [tens, units]. */
type Split<N> = N extends number
  ? `${N}` extends `${infer T extends Digit}${infer U extends Digit}`
    ? [T, U]
    : [`0`, `${N}` & Digit]
  : never;
/** [carry, digit] of a + b + c. */
type DigitAdd<a, b, c> = Split<[...DL<a>, ...DL<b>, ...DL<c>]['length']>;

type ToLE<S, Acc extends LE = []> = S extends `${infer H extends Digit}${infer R}` ? ToLE<R, [H, ...Acc]> : S extends '' ? Acc : never;
/** Drops high zeros; zero is []. */
type Strip<D> = D extends [...infer R, '0'] ? Strip<R> : D;
/** Digits of a non-negative integer literal; never for dynamic, negative, fractional or huge N. */
type NatLE<N extends number> = IsDyn<N> extends true ? never : Strip<ToLE<`${N}`>>;
type LEStr<D, Acc extends string = ''> = D extends [infer H extends Digit, ...infer R] ? LEStr<R, `${H}${Acc}`> : Acc extends '' ? '0' : Acc;
/** Back to a number literal; `number` when it does not round-trip (beyond 2^53). */
type LENum<D> = LEStr<D> extends `${infer N extends number}` ? N : number;

type AddLE<A, B, C = '0', Acc extends LE = []> = A extends [infer a, ...infer AR]
  ? B extends [infer b, ...infer BR]
    ? AddNext<DigitAdd<a, b, C>, AR, BR, Acc>
    : AddNext<DigitAdd<a, '0', C>, AR, [], Acc>
  : B extends [infer b, ...infer BR]
    ? AddNext<DigitAdd<b, '0', C>, [], BR, Acc>
    : C extends '0'
      ? Acc
      : [...Acc, C & Digit];
type AddNext<S, AR, BR, Acc extends LE> = S extends [infer c, infer u extends Digit] ? AddLE<AR, BR, c, [...Acc, u]> : never;

/** [digit, borrow] of a - b - br. */
type SubDigit<a, b, br> = DL<a> extends [...DL<b>, ...DL<br>, ...infer R]
  ? [`${R['length']}` & Digit, '0']
  : [...DL<a>, ...Ten] extends [...DL<b>, ...DL<br>, ...infer R]
    ? [`${R['length']}` & Digit, '1']
    : never;
/** A - B for normalized A ≥ B; never when B > A. */
type SubLE<A, B, Br = '0', Acc extends LE = []> = A extends [infer a, ...infer AR]
  ? B extends [infer b, ...infer BR]
    ? SubNext<SubDigit<a, b, Br>, AR, BR, Acc>
    : SubNext<SubDigit<a, '0', Br>, AR, [], Acc>
  : B extends []
    ? Br extends '0'
      ? Strip<Acc>
      : never
    : never;
type SubNext<S, AR, BR, Acc extends LE> = S extends [infer r extends Digit, infer br] ? SubLE<AR, BR, br, [...Acc, r]> : never;

type MulDigitLE<A, d, C = '0', Acc extends LE = []> = A extends [infer a, ...infer AR]
  ? MulDigitNext<a extends Digit ? (d extends Digit ? MulTable[a][DL<d>['length']] : never) : never, AR, d, C, Acc>
  : C extends '0'
    ? Strip<Acc>
    : [...Acc, C & Digit];
/** P = [tens, units] of a*d; adds the carry C to the units. */
type MulDigitNext<P, AR, d, C, Acc extends LE> = P extends [infer t, infer u]
  ? DigitAdd<u, C, '0'> extends [infer c2, infer u2 extends Digit]
    ? MulDigitLE<AR, d, DigitAdd<t, c2, '0'>[1], [...Acc, u2]>
    : never
  : never;
type MulLE<A, B> = B extends [infer b, ...infer BR] ? Strip<AddLE<MulDigitLE<A, b>, Shift10<MulLE<A, BR>>>> : [];
type Shift10<D> = D extends [infer H, ...infer R] ? ['0', H, ...R] : [];

type DigitLT<a, b> = a extends Digit ? (b extends Digit ? ('0123456789' extends `${string}${a}${string}${b}${string}` ? true : false) : false) : false;
type CmpLen<A, B> = A extends [unknown, ...infer AR] ? (B extends [unknown, ...infer BR] ? CmpLen<AR, BR> : 'gt') : B extends [] ? 'eq' : 'lt';
type CmpSameLen<A, B> = A extends [...infer AR, infer a]
  ? B extends [...infer BR, infer b]
    ? a extends b
      ? CmpSameLen<AR, BR>
      : DigitLT<a, b> extends true
        ? 'lt'
        : 'gt'
    : 'eq'
  : 'eq';
/** 'lt' | 'eq' | 'gt' for normalized digit lists. */
type CmpLE<A, B> = CmpLen<A, B> extends 'eq' ? CmpSameLen<A, B> : CmpLen<A, B>;

type Multiples<B> = {
  '0': [];
  '1': B;
  '2': MulDigitLE<B, '2'>;
  '3': MulDigitLE<B, '3'>;
  '4': MulDigitLE<B, '4'>;
  '5': MulDigitLE<B, '5'>;
  '6': MulDigitLE<B, '6'>;
  '7': MulDigitLE<B, '7'>;
  '8': MulDigitLE<B, '8'>;
  '9': MulDigitLE<B, '9'>;
};
type QDigits = ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'];
/** The largest digit q with M[q] ≤ R, and M[q]. */
type PickQ<M, R, Qs = QDigits> = Qs extends [infer q extends Digit, ...infer QR]
  ? M extends Record<Digit, unknown>
    ? CmpLE<M[q], R> extends 'gt'
      ? PickQ<M, R, QR>
      : [q, M[q]]
    : never
  : never;
/** [quotient, remainder] of long division; never when dividing by zero. */
type DivModLE<A, B> = B extends [] ? never : DivLoop<A, Multiples<B>, [], []>;
type DivLoop<A, M, Q extends LE, R> = A extends [...infer AR, infer a]
  ? R extends unknown[]
    ? DivStep<AR, M, Q, Strip<[a, ...R]>>
    : never
  : [Strip<Q>, R];
type DivStep<AR, M, Q extends LE, R> = PickQ<M, R> extends [infer q extends Digit, infer m] ? DivLoop<AR, M, [q, ...Q], SubLE<R, m>> : never;

/** Both dims as digit lists, or 'none' when either is not a static natural number. */
type Nat2<A extends number, B extends number> = [NatLE<A>, NatLE<B>] extends [infer a extends LE, infer b extends LE]
  ? [a] extends [never]
    ? 'none'
    : [b] extends [never]
      ? 'none'
      : [a, b]
  : 'none';

/** a + b for static dims; `number` when either is dynamic (or the sum is not a safe integer). */
export type DimAdd<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE]
  ? LENum<AddLE<a, b>>
  : number;
/** a - b for static dims (`never` when negative); `number` when either is dynamic. */
export type DimSub<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE]
  ? SubLE<a, b> extends infer d extends LE
    ? [d] extends [never]
      ? never
      : LENum<d>
    : never
  : number;
/** a * b for static dims; `number` when either is dynamic (or the product is not a safe integer). */
export type DimMul<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE]
  ? LENum<MulLE<a, b>>
  : number;
/** floor(a / b) for static dims (`never` for b = 0); `number` when either is dynamic. */
export type DimDiv<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE]
  ? [DivModLE<a, b>] extends [never]
    ? never
    : DivModLE<a, b> extends [infer q extends LE, LE]
      ? LENum<q>
      : never
  : number;
/** ceil(a / b) for static dims (`never` for b = 0); `number` when either is dynamic. */
type DimCeilDiv<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE]
  ? [DivModLE<a, b>] extends [never]
    ? never
    : DivModLE<a, b> extends [infer q extends LE, infer r extends LE]
      ? r extends []
        ? LENum<q>
        : LENum<AddLE<q, ['1']>>
      : never
  : number;
/** 'lt' | 'eq' | 'gt' for static dims, 'none' otherwise. */
type DimCmp<A extends number, B extends number> = Nat2<A, B> extends [infer a extends LE, infer b extends LE] ? CmpLE<a, b> : 'none';

type SizeLE<S extends Shape, Acc extends LE = ['1']> = S extends readonly [infer d extends number, ...infer R extends Shape]
  ? NatLE<d> extends infer n extends LE
    ? [n] extends [never]
      ? never
      : SizeLE<R, MulLE<Acc, n>>
    : never
  : Acc;
/** The number of elements of S: a literal when every dim is static, else `number`. */
export type Size<S extends Shape> =
  IsFixedRank<S> extends true ? (SizeLE<S> extends infer n extends LE ? ([n] extends [never] ? number : LENum<n>) : number) : number;

// ---------------------------------------------------------------------------------------------
// Axes

/** Valid non-negative indices of the tuple S, as a union. */
type Indices<S extends readonly unknown[]> = Exclude<Partial<S>['length'], S['length']>;
type DropLastIndex<S extends readonly unknown[], P extends number, C extends unknown[] = []> = C['length'] extends P
  ? S['length']
  : S extends readonly [...infer H, unknown]
    ? DropLastIndex<H, P, [...C, 0]>
    : never;
/**
 * Axis A of a tuple S as a non-negative index: negative axes count from the end; `never` when
 * out of range (−rank ≤ A < rank) or not an integer; `number` when A is dynamic.
 */
export type NormAxis<S extends readonly unknown[], A extends number> = IsDyn<A> extends true
  ? number
  : `${A}` extends `-${infer P extends number}`
    ? P extends Exclude<Partial<S>['length'], 0>
      ? DropLastIndex<S, P>
      : never
    : A extends Indices<S>
      ? A
      : never;

/** Normalized axes as a tuple; never when one is invalid or repeated; number[] when dynamic. */
type NormAxes<S extends readonly unknown[], Axes extends readonly number[], Acc extends number[] = []> = Axes extends readonly [
  infer a extends number,
  ...infer R extends readonly number[],
]
  ? NormAxis<S, a> extends infer n extends number
    ? [n] extends [never]
      ? never
      : number extends n
        ? number[]
        : n extends Acc[number]
          ? never
          : NormAxes<S, R, [...Acc, n]>
    : never
  : Axes extends readonly []
    ? Acc
    : number[];

/** An axis argument: one axis, a list of axes, or `undefined` (all axes). */
export type AxisArg = number | readonly number[] | undefined;
/** The axes as a list: [] for undefined, number[] (dynamic) for a mix such as `number | undefined`. */
type AxisList<A extends AxisArg> = [A] extends [readonly number[]] ? A : [A] extends [number] ? [A] : [A] extends [undefined] ? [] : number[];

/** First entry of Axes that is out of range for the tuple S, or never. */
type BadAxis<S extends readonly unknown[], Axes extends readonly number[]> = Axes extends readonly [
  infer a extends number,
  ...infer R extends readonly number[],
]
  ? [NormAxis<S, a>] extends [never]
    ? a
    : BadAxis<S, R>
  : never;
/** Message (prefixed with Op) for an invalid axis argument over the axis domain S. */
type AxisMsg<S extends readonly unknown[], A extends AxisArg, Op extends string> =
  BadAxis<S, AxisList<A>> extends infer b extends number
    ? [b] extends [never]
      ? `${Op}repeated axis in ${AxisStr<A>}`
      : `${Op}axis ${b} is out of range for rank ${S['length']}`
    : never;
/** never when A is not a valid axis argument for the axis domain S. */
type AxesValid<S extends Shape, A extends AxisArg> = [A] extends [undefined]
  ? true
  : IsFixedRank<S> extends true
    ? NormAxes<S, AxisList<A>>
    : true;

/**
 * Rejects an axis argument out of range (−rank ≤ a < rank) or with a repeated axis, when the
 * rank of S is known. `undefined` (all axes) is always fine.
 */
export type CheckAxis<S extends Shape, A extends AxisArg> = ShapeCheck<AxesValid<S, A>, AxisMsg<S, A, ''>, [S]>;

// ---------------------------------------------------------------------------------------------
// Tuple helpers (recursion depth = rank)

type AllDynamic<S extends readonly unknown[]> = { -readonly [K in keyof S]: number };
type DynamicKeepOnes<S extends Shape> = { -readonly [K in keyof S]: S[K] extends 1 ? 1 : number };
type DropFirst<S extends readonly unknown[]> = S extends readonly [unknown, ...infer R extends number[]] ? R : [];
type Reverse<S extends Shape, Acc extends number[] = []> = S extends readonly [infer H extends number, ...infer R extends Shape]
  ? Reverse<R, [H, ...Acc]>
  : Acc;
type InsertAt<S extends Shape, I extends number, V extends number, Acc extends number[] = []> = Acc['length'] extends I
  ? [...Acc, V, ...S]
  : S extends readonly [infer H extends number, ...infer R extends Shape]
    ? InsertAt<R, I, V, [...Acc, H]>
    : [...Acc, V];
type RemoveAt<S extends Shape, I extends number, Acc extends number[] = []> = S extends readonly [
  infer H extends number,
  ...infer R extends Shape,
]
  ? Acc['length'] extends I
    ? [...Acc, ...R]
    : RemoveAt<R, I, [...Acc, H]>
  : Acc;
type PickDims<S extends Shape, P extends readonly number[], Acc extends number[] = []> = P extends readonly [
  infer i extends number,
  ...infer R extends readonly number[],
]
  ? PickDims<S, R, [...Acc, S[i]]>
  : Acc;

// ---------------------------------------------------------------------------------------------
// Broadcasting

/**
 * One broadcast dim: equal → it; literal 1 → the other; dynamic → the other if it is a literal
 * ≠ 1, else dynamic; two different literals (neither 1) → never.
 */
export type BroadcastDim<X extends number, Y extends number> = IsDyn<X> extends true
  ? IsDyn<Y> extends true
    ? number
    : [Y] extends [1]
      ? number
      : Y
  : IsDyn<Y> extends true
    ? [X] extends [1]
      ? number
      : X
    : [X] extends [Y]
      ? X
      : [X] extends [1]
        ? Y
        : [Y] extends [1]
          ? X
          : never;

type BroadcastRec<A extends Shape, B extends Shape, Acc extends number[] = []> = A extends readonly [
  ...infer AR extends Shape,
  infer a extends number,
]
  ? B extends readonly [...infer BR extends Shape, infer b extends number]
    ? BroadcastDim<a, b> extends infer d extends number
      ? [d] extends [never]
        ? never
        : BroadcastRec<AR, BR, [d, ...Acc]>
      : never
    : [...A, ...Acc]
  : [...B, ...Acc];

/** NumPy broadcasting of two shapes (right-aligned); never when they do not broadcast. */
export type Broadcast<A extends Shape, B extends Shape> =
  IsFixedRank<A> extends true ? (IsFixedRank<B> extends true ? BroadcastRec<A, B> : number[]) : number[];

/** Broadcasting of any number of shapes (`where(c, a, b)`: `BroadcastAll<[C, A, B]>`). */
export type BroadcastAll<Shapes extends readonly Shape[]> = Shapes extends readonly [infer F extends Shape, ...infer R extends readonly Shape[]]
  ? R extends readonly [infer G extends Shape, ...infer R2 extends readonly Shape[]]
    ? Broadcast<F, G> extends infer B extends Shape
      ? [B] extends [never]
        ? never
        : BroadcastAll<[B, ...R2]>
      : never
    : [...F]
  : Shapes extends readonly []
    ? []
    : number[];

/** Rejects B unless it broadcasts with A. Message: `shapes [2,3] and [4] do not broadcast`. */
export type CheckBroadcast<A extends Shape, B extends Shape> = ShapeCheck<
  Broadcast<A, B>,
  `shapes ${ShapeStr<A>} and ${ShapeStr<B>} do not broadcast`,
  [A, B]
>;

/** Rejects unless all shapes broadcast together. */
export type CheckBroadcastAll<Shapes extends readonly Shape[]> = ShapeCheck<
  BroadcastAll<Shapes>,
  `shapes ${JoinShapes<Shapes>} do not broadcast`,
  Shapes
>;

/** The shape S broadcast to the shape T (NumPy `broadcast_to`): T, or never when S does not fit. */
export type BroadcastTo<S extends Shape, T extends Shape> =
  IsFixedRank<T> extends false ? number[] : IsFixedRank<S> extends false ? [...T] : BroadcastToRec<S, T> extends true ? [...T] : never;
type BroadcastToRec<S extends Shape, T extends Shape> = S extends readonly [...infer SR extends Shape, infer s extends number]
  ? T extends readonly [...infer TR extends Shape, infer t extends number]
    ? [s] extends [1]
      ? BroadcastToRec<SR, TR>
      : IsDyn<s> extends true
        ? BroadcastToRec<SR, TR>
        : IsDyn<t> extends true
          ? BroadcastToRec<SR, TR>
          : [s] extends [t]
            ? BroadcastToRec<SR, TR>
            : false
    : false
  : true;
/** Rejects T unless S can be broadcast to it. */
export type CheckBroadcastTo<S extends Shape, T extends Shape> = ShapeCheck<
  BroadcastTo<S, T>,
  `cannot broadcast ${ShapeStr<S>} to ${ShapeStr<T>}`,
  [S, T]
>;

// ---------------------------------------------------------------------------------------------
// Matmul

/** Two inner (contracted) dims agree unless both are static and differ. */
type InnerOk<X extends number, Y extends number> = IsDyn<X> extends true ? true : IsDyn<Y> extends true ? true : [X] extends [Y] ? true : false;

/**
 * NumPy matmul: [k]@[k] → []; [m,k]@[k,n] → [m,n]; [k]@[...,k,n] → [...,n];
 * [...,m,k]@[k] → [...,m]; batch dims broadcast. never for scalars, differing static inner
 * dims or batch dims that do not broadcast.
 */
export type MatmulShape<A extends Shape, B extends Shape> =
  IsFixedRank<A> extends false
    ? number[]
    : IsFixedRank<B> extends false
      ? number[]
      : A extends readonly [infer k1 extends number]
        ? B extends readonly [infer k2 extends number]
          ? InnerOk<k1, k2> extends true
            ? []
            : never
          : B extends readonly [...infer BB extends Shape, infer k2 extends number, infer n extends number]
            ? InnerOk<k1, k2> extends true
              ? [...BB, n]
              : never
            : never
        : A extends readonly [...infer AB extends Shape, infer m extends number, infer k1 extends number]
          ? B extends readonly [infer k2 extends number]
            ? InnerOk<k1, k2> extends true
              ? [...AB, m]
              : never
            : B extends readonly [...infer BB extends Shape, infer k2 extends number, infer n extends number]
              ? InnerOk<k1, k2> extends true
                ? Broadcast<AB, BB> extends infer Bt extends Shape
                  ? [Bt] extends [never]
                    ? never
                    : [...Bt, m, n]
                  : never
                : never
              : never
          : never;

type InnerDim<S extends Shape, Left extends boolean> = Left extends true
  ? S extends readonly [...infer _ extends Shape, infer k extends number]
    ? k
    : never
  : S extends readonly [infer k extends number]
    ? k
    : S extends readonly [...infer _ extends Shape, infer k extends number, infer _n extends number]
      ? k
      : never;
type MatmulMsg<A extends Shape, B extends Shape> = A extends readonly []
    ? `matmul: operands must have at least one axis, got ${ShapeStr<A>} @ ${ShapeStr<B>}`
    : B extends readonly []
      ? `matmul: operands must have at least one axis, got ${ShapeStr<A>} @ ${ShapeStr<B>}`
      : InnerOk<InnerDim<A, true>, InnerDim<B, false>> extends true
        ? `matmul: batch dimensions of ${ShapeStr<A>} @ ${ShapeStr<B>} do not broadcast`
        : `matmul: inner dimensions differ: ${ShapeStr<A>} @ ${ShapeStr<B>} (${InnerDim<A, true>} vs ${InnerDim<B, false>})`;
/** Rejects B unless `A @ B` is valid. */
export type CheckMatmul<A extends Shape, B extends Shape> = ShapeCheck<MatmulShape<A, B>, MatmulMsg<A, B>, [A, B]>;

/**
 * NumPy dot: a scalar operand multiplies elementwise (broadcast); otherwise the last axis of A
 * contracts with the second-to-last of B (the only one if B is 1-D):
 * [...a, k]·[...b, k, n] → [...a, ...b, n].
 */
export type DotShape<A extends Shape, B extends Shape> =
  IsFixedRank<A> extends false
    ? number[]
    : IsFixedRank<B> extends false
      ? number[]
      : A extends readonly []
        ? [...B]
        : B extends readonly []
          ? [...A]
          : A extends readonly [...infer AR extends Shape, infer k1 extends number]
            ? B extends readonly [infer k2 extends number]
              ? InnerOk<k1, k2> extends true
                ? [...AR]
                : never
              : B extends readonly [...infer BB extends Shape, infer k2 extends number, infer n extends number]
                ? InnerOk<k1, k2> extends true
                  ? [...AR, ...BB, n]
                  : never
                : never
            : never;
/** Rejects B unless `dot(A, B)` is valid. */
export type CheckDot<A extends Shape, B extends Shape> = ShapeCheck<
  DotShape<A, B>,
  `dot: shapes ${ShapeStr<A>} and ${ShapeStr<B>} not aligned`,
  [A, B]
>;

// ---------------------------------------------------------------------------------------------
// Reductions

type ReduceKnown<S extends Shape, Ax extends number, K extends boolean, C extends unknown[] = [], Acc extends number[] = []> = S extends readonly [
  infer H extends number,
  ...infer R extends Shape,
]
  ? ReduceKnown<R, Ax, K, [...C, 0], C['length'] extends Ax ? (K extends true ? [...Acc, 1] : Acc) : [...Acc, H]>
  : Acc;

/**
 * The shape after reducing `Axis` (one axis, a list, or `undefined` for all axes; negative
 * axes count from the end). With `KeepDims` reduced axes stay as 1. never for an invalid axis.
 * A dynamic axis gives dynamic dims (of the right rank when it is known); a non-literal
 * `KeepDims` (`boolean`) gives `number[]`.
 */
export type ReduceShape<S extends Shape, Axis extends AxisArg = undefined, KeepDims extends boolean = false> = boolean extends KeepDims
  ? number[]
  : [Axis] extends [undefined]
  ? KeepDims extends true
    ? IsFixedRank<S> extends true
      ? { -readonly [K in keyof S]: 1 }
      : 1[]
    : []
  : IsFixedRank<S> extends false
    ? number[]
    : NormAxes<S, AxisList<Axis>> extends infer Ax extends number[]
      ? [Ax] extends [never]
        ? never
        : number[] extends Ax
          ? KeepDims extends true
            ? DynamicKeepOnes<S>
            : [Axis] extends [number]
              ? DropFirst<AllDynamic<S>>
              : number[]
          : ReduceKnown<S, Ax[number], KeepDims>
      : never;

/** The shape of argmax/argmin: `axis` removed (or kept as 1); all axes (flattened) when omitted. */
export type ArgReduceShape<S extends Shape, Axis extends number | undefined = undefined, KeepDims extends boolean = false> = ReduceShape<
  S,
  Axis,
  KeepDims
>;

// ---------------------------------------------------------------------------------------------
// Transpose

/**
 * Permuted shape: result axis i is axis Perm[i] of S (negative entries count from the end);
 * reversed when Perm is undefined. never when Perm is not a permutation of the axes.
 */
export type TransposeShape<S extends Shape, Perm extends readonly number[] | undefined = undefined> = [Perm] extends [undefined]
  ? IsFixedRank<S> extends true
    ? Reverse<S>
    : number[]
  : Perm extends readonly number[]
    ? IsFixedRank<S> extends false
      ? IsFixedRank<Perm> extends true
        ? AllDynamic<Perm>
        : number[]
      : IsFixedRank<Perm> extends false
        ? AllDynamic<S>
        : Perm['length'] extends S['length']
          ? NormAxes<S, Perm> extends infer P extends number[]
            ? [P] extends [never]
              ? never
              : number[] extends P
                ? AllDynamic<S>
                : PickDims<S, P>
            : never
          : never
    : never;

/** Rejects a perm that is not a permutation of the axes of S (when the rank is known). */
export type CheckTranspose<S extends Shape, Perm extends readonly number[] | undefined> = ShapeCheck<
  TransposeShape<S, Perm>,
  `transpose: perm ${AxisStr<Perm>} is not a permutation of the ${S['length']} axes of ${ShapeStr<S>}`,
  [S]
>;

/** S with axes From and To swapped. */
export type SwapAxes<S extends Shape, From extends number, To extends number> =
  IsFixedRank<S> extends false
    ? number[]
    : [NormAxis<S, From>, NormAxis<S, To>] extends [infer f extends number, infer t extends number]
      ? [f] extends [never]
        ? never
        : [t] extends [never]
          ? never
          : number extends f | t
            ? AllDynamic<S>
            : { [K in keyof S]: K extends `${f}` ? S[t] : K extends `${t}` ? S[f] : S[K] }
      : never;

// ---------------------------------------------------------------------------------------------
// Adding and removing axes

type ExpandKnown<S extends Shape, Ax extends number, C extends unknown[] = [], Acc extends number[] = []> = C['length'] extends Ax
  ? ExpandKnown<S, Ax, [...C, 0], [...Acc, 1]>
  : S extends readonly [infer H extends number, ...infer R extends Shape]
    ? ExpandKnown<R, Ax, [...C, 0], [...Acc, H]>
    : Acc;
type RankTuple<S extends Shape, N extends number, Acc extends unknown[] = [...S]> = Acc['length'] extends N ? Acc : RankTuple<S, N, [...Acc, 0]>;

/**
 * Inserts size-1 axes at the given positions of the result (NumPy `expand_dims`; the result
 * has rank + number-of-axes, and negative axes count from its end). never when out of range.
 */
export type ExpandDims<S extends Shape, Axis extends number | readonly number[]> =
  IsFixedRank<S> extends false
    ? number[]
    : AxisList<Axis> extends infer L extends readonly number[]
      ? IsFixedRank<L> extends false
        ? number[]
        : RankTuple<S, DimAdd<S['length'], L['length']>> extends infer Dom extends unknown[]
          ? NormAxes<Dom, L> extends infer Ax extends number[]
            ? [Ax] extends [never]
              ? never
              : number[] extends Ax
                ? AllDynamic<Dom>
                : ExpandKnown<S, Ax[number]>
            : never
          : never
      : never;
/** Rejects an expand-dims axis out of range for the result rank. */
export type CheckExpandDims<S extends Shape, Axis extends number | readonly number[]> = ShapeCheck<
  ExpandDims<S, Axis>,
  `expandDims: axis ${AxisStr<Axis>} is out of range for result rank ${DimAdd<S['length'], AxisList<Axis>['length']>}`,
  [S]
>;

type DropOnes<S extends Shape, Acc extends number[] = []> = S extends readonly [infer H extends number, ...infer R extends Shape]
  ? IsDyn<H> extends true
    ? DropOnes<R, [...Acc, H]>
    : [H] extends [1]
      ? DropOnes<R, Acc>
      : DropOnes<R, [...Acc, H]>
  : Acc;
type SqueezeKnown<S extends Shape, Ax extends number, C extends unknown[] = [], Acc extends number[] = []> = S extends readonly [
  infer H extends number,
  ...infer R extends Shape,
]
  ? C['length'] extends Ax
    ? IsDyn<H> extends true
      ? SqueezeKnown<R, Ax, [...C, 0], Acc>
      : [H] extends [1]
        ? SqueezeKnown<R, Ax, [...C, 0], Acc>
        : never
    : SqueezeKnown<R, Ax, [...C, 0], [...Acc, H]>
  : Acc;

/**
 * Removes size-1 axes: the given ones (which must be 1 or dynamic), or, when Axis is omitted,
 * every literal-1 dim (dynamic dims are kept: the type cannot know they are 1).
 */
export type Squeeze<S extends Shape, Axis extends AxisArg = undefined> =
  IsFixedRank<S> extends false
    ? number[]
    : [Axis] extends [undefined]
      ? DropOnes<S>
      : NormAxes<S, AxisList<Axis>> extends infer Ax extends number[]
        ? [Ax] extends [never]
          ? never
          : number[] extends Ax
            ? number[]
            : SqueezeKnown<S, Ax[number]>
        : never;
/** Rejects squeezing an axis out of range or of static size ≠ 1. */
export type CheckSqueeze<S extends Shape, Axis extends AxisArg> = ShapeCheck<
  Squeeze<S, Axis>,
  [AxesValid<S, Axis>] extends [never]
    ? AxisMsg<S, Axis, 'squeeze: '>
    : `squeeze: an axis in ${AxisStr<Axis>} of ${ShapeStr<S>} does not have size 1`,
  [S]
>;

/** S with axis A removed (indexing with an integer, `take` of a scalar index, argmax). */
export type IndexAxis<S extends Shape, A extends number = 0> =
  IsFixedRank<S> extends false
    ? number[]
    : NormAxis<S, A> extends infer i extends number
      ? [i] extends [never]
        ? never
        : number extends i
          ? DropFirst<AllDynamic<S>>
          : RemoveAt<S, i>
      : never;

/** One-hot encoding: a new last axis of size N. */
export type OneHot<S extends Shape, N extends number> = IsFixedRank<S> extends true ? [...S, N] : number[];

// ---------------------------------------------------------------------------------------------
// Joining

/** Dims that must be equal: the static one wins over a dynamic one; never when they differ. */
export type UnifyDim<X extends number, Y extends number> = IsDyn<X> extends true
  ? Y
  : IsDyn<Y> extends true
    ? X
    : [X] extends [Y]
      ? [Y] extends [X]
        ? X
        : never
      : never;

type ConcatPair<A extends Shape, B extends Shape, Ax extends number, C extends unknown[] = [], Out extends number[] = []> = A extends readonly [
  infer a extends number,
  ...infer AR extends Shape,
]
  ? B extends readonly [infer b extends number, ...infer BR extends Shape]
    ? (C['length'] extends Ax ? DimAdd<a, b> : UnifyDim<a, b>) extends infer d extends number
      ? [d] extends [never]
        ? never
        : ConcatPair<AR, BR, Ax, [...C, 0], [...Out, d]>
      : never
    : never
  : B extends readonly []
    ? Out
    : never;
type ConcatFold<Shapes extends readonly Shape[], Ax extends number, Acc extends Shape> = Shapes extends readonly [
  infer F extends Shape,
  ...infer R extends readonly Shape[],
]
  ? IsFixedRank<F> extends false
    ? number[]
    : ConcatPair<Acc, F, Ax> extends infer N extends Shape
      ? [N] extends [never]
        ? never
        : ConcatFold<R, Ax, N>
      : never
  : [...Acc];
type ReplaceAt<S extends Shape, I extends number, V extends number> = { [K in keyof S]: K extends `${I}` ? V : S[K] };

/**
 * Concatenation along Axis: the axis dims add up (a literal when all are static), the other
 * dims must agree; never on a rank or dim mismatch. A list of unknown length gives a dynamic
 * axis dim.
 */
export type Concat<Shapes extends readonly Shape[], Axis extends number = 0> = Shapes extends readonly [
  infer F extends Shape,
  ...infer R extends readonly Shape[],
]
  ? IsFixedRank<F> extends false
    ? number[]
    : NormAxis<F, Axis> extends infer ax extends number
      ? [ax] extends [never]
        ? never
        : number extends ax
          ? AllDynamic<F>
          : ConcatFold<R, ax, [...F]>
      : never
  : Shapes extends readonly []
    ? never
    : Shapes[number] extends infer E extends Shape
      ? IsFixedRank<E> extends false
        ? number[]
        : NormAxis<E, Axis> extends infer ax extends number
          ? [ax] extends [never]
            ? never
            : number extends ax
              ? AllDynamic<E>
              : ReplaceAt<[...E], ax, number>
          : never
      : never;
/** Rejects shapes that cannot be concatenated along Axis. */
export type CheckConcat<Shapes extends readonly Shape[], Axis extends number = 0> = ShapeCheck<
  Concat<Shapes, Axis>,
  `concatenate: shapes ${JoinShapes<Shapes>} cannot be joined along axis ${DimStr<Axis>}`,
  Shapes
>;

/** N arrays of shape S stacked along a new axis Axis (−rank−1 ≤ Axis ≤ rank). */
export type Stack<S extends Shape, N extends number, Axis extends number = 0> =
  IsFixedRank<S> extends false
    ? number[]
    : NormAxis<[...S, 0], Axis> extends infer i extends number
      ? [i] extends [never]
        ? never
        : number extends i
          ? AllDynamic<[...S, 0]>
          : InsertAt<S, i, N>
      : never;

type UnifyShapes<Shapes extends readonly Shape[], Acc extends Shape> = Shapes extends readonly [
  infer F extends Shape,
  ...infer R extends readonly Shape[],
]
  ? IsFixedRank<F> extends false
    ? number[]
    : ConcatPair<Acc, F, -1> extends infer N extends Shape
      ? [N] extends [never]
        ? never
        : UnifyShapes<R, N>
      : never
  : [...Acc];
/** `stack(xs, axis)` for a tuple of shapes (which must agree); never when they differ. */
export type StackAll<Shapes extends readonly Shape[], Axis extends number = 0> = Shapes extends readonly [
  infer F extends Shape,
  ...infer R extends readonly Shape[],
]
  ? IsFixedRank<F> extends false
    ? number[]
    : UnifyShapes<R, F> extends infer U extends Shape
      ? [U] extends [never]
        ? never
        : Stack<U, IsFixedRank<Shapes> extends true ? Shapes['length'] : number, Axis>
      : never
  : Shapes extends readonly []
    ? never
    : Shapes[number] extends infer E extends Shape
      ? Stack<E, number, Axis>
      : never;
/** Rejects stacking shapes that differ, or an axis out of range. */
export type CheckStack<Shapes extends readonly Shape[], Axis extends number = 0> = ShapeCheck<
  StackAll<Shapes, Axis>,
  `stack: shapes ${JoinShapes<Shapes>} cannot be stacked along axis ${DimStr<Axis>}`,
  Shapes
>;

// ---------------------------------------------------------------------------------------------
// Reshape

type CountNeg1<T extends Shape, C extends unknown[] = []> = T extends readonly [infer H extends number, ...infer R extends Shape]
  ? CountNeg1<R, [H] extends [-1] ? [...C, 0] : C>
  : C['length'];
/** A target dim is fine if dynamic, -1, or a non-negative integer. */
type BadTargetDim<T extends Shape> = T extends readonly [infer H extends number, ...infer R extends Shape]
  ? IsDyn<H> extends true
    ? BadTargetDim<R>
    : [H] extends [-1]
      ? BadTargetDim<R>
      : [NatLE<H>] extends [never]
        ? true
        : BadTargetDim<R>
  : false;
type WithoutNeg1<T extends Shape, Acc extends number[] = []> = T extends readonly [infer H extends number, ...infer R extends Shape]
  ? [H] extends [-1]
    ? WithoutNeg1<R, Acc>
    : WithoutNeg1<R, [...Acc, H]>
  : Acc;
type FillNeg1<T extends Shape, V extends number> = { -readonly [K in keyof T]: [T[K]] extends [-1] ? V : T[K] };
type InferredDim<N extends number, Known extends number> = number extends N
  ? number
  : number extends Known
    ? number
    : Known extends 0
      ? number
      : Nat2<N, Known> extends [infer a extends LE, infer b extends LE]
        ? [DivModLE<a, b>] extends [never]
          ? never
          : DivModLE<a, b> extends [infer q extends LE, infer r extends LE]
            ? r extends []
              ? LENum<q>
              : never
            : never
        : number;

/**
 * The shape after `reshape(T)`. A target without -1 is the result (never when both sizes are
 * static and differ). One -1 is computed when the input size and the other target dims are
 * static (never when it does not divide), otherwise it becomes `number`. More than one -1,
 * or a negative target dim other than -1, → never.
 */
export type ReshapeShape<S extends Shape, T extends Shape> =
  IsFixedRank<T> extends false
    ? number[]
    : BadTargetDim<T> extends true
      ? never
      : CountNeg1<T> extends 0
        ? [Size<S>, Size<T>] extends [infer a extends number, infer b extends number]
          ? number extends a
            ? [...T]
            : number extends b
              ? [...T]
              : [a] extends [b]
                ? [...T]
                : never
          : never
        : CountNeg1<T> extends 1
          ? InferredDim<Size<S>, Size<WithoutNeg1<T>>> extends infer d extends number
            ? [d] extends [never]
              ? never
              : FillNeg1<T, d>
            : never
          : never;
/** Rejects a reshape target that cannot hold the elements of S. */
export type CheckReshape<S extends Shape, T extends Shape> = ShapeCheck<
  ReshapeShape<S, T>,
  `reshape: cannot reshape ${ShapeStr<S>} (${DimStr<Size<S>>} elements) to ${ShapeStr<T>}`,
  [S]
>;

/** `flatten()`: one axis holding all elements. */
export type Flatten<S extends Shape> = [Size<S>];

// ---------------------------------------------------------------------------------------------
// Indexing (NumPy basic indexing plus one integer-array index, as `Tensor.slice` takes it)

/**
 * One index entry: an integer (removes the axis), `null` or a range `[start, stop, step]` (keeps
 * it), `'newaxis'`, `'...'`, or an index tensor (anything with a `shape`: its dims replace
 * the axis).
 */
export type IndexEntry = number | null | 'newaxis' | '...' | readonly [start?: number | null, stop?: number | null, step?: number | null] | { readonly shape: Shape };

type Consumes<Sp> = [Sp] extends ['newaxis'] ? false : [Sp] extends ['...'] ? false : true;
type CountConsuming<Specs extends readonly unknown[], C extends unknown[] = []> = Specs extends readonly [infer H, ...infer R]
  ? CountConsuming<R, Consumes<H> extends true ? [...C, 0] : C>
  : C['length'];

/** A slice bound as a position in 0..n (NumPy clamping); `number` when not static. */
type ClampIndex<V, N extends number, Dflt extends number> = [V] extends [null | undefined]
  ? Dflt
  : V extends number
    ? IsDyn<V> extends true
      ? number
      : `${V}` extends `-${infer P extends number}`
        ? DimCmp<P, N> extends 'lt'
          ? DimSub<N, P>
          : DimCmp<P, N> extends 'none'
            ? number
            : 0
        : DimCmp<V, N> extends 'gt'
          ? N
          : DimCmp<V, N> extends 'none'
            ? number
            : V
    : number;
/** [start, stop, step] of a range entry; `number`s when its entries are not known. */
type RangeParts<R> = R extends readonly []
  ? [undefined, undefined, undefined]
  : R extends readonly [infer A]
    ? [A, undefined, undefined]
    : R extends readonly [infer A, infer B]
      ? [A, B, undefined]
      : R extends readonly [infer A, infer B, infer C]
        ? [A, B, C]
        : [number, number, number];
/** Length of a range entry over a dim of size N (`number` when it cannot be computed). */
type RangeLen<N extends number, R> = RangeParts<R> extends [infer Lo, infer Hi, infer St] ? RangeLenOf<N, Lo, Hi, St> : number;
type RangeLenOf<N extends number, Lo, Hi, St> = [St] extends [null | undefined | 1]
  ? RangeLenPos<N, ClampIndex<Lo, N, 0>, ClampIndex<Hi, N, N>, 1>
  : St extends number
    ? IsDyn<St> extends true
      ? number
      : `${St}` extends `-${infer K extends number}`
        ? [Lo, Hi] extends [null | undefined, null | undefined]
          ? DimCeilDiv<N, K>
          : number
        : RangeLenPos<N, ClampIndex<Lo, N, 0>, ClampIndex<Hi, N, N>, St>
    : number;
type RangeLenPos<N extends number, Lo extends number, Hi extends number, K extends number> = [R0<Lo, Hi>] extends [infer d extends number]
  ? number extends d
    ? number
    : DimCeilDiv<d, K>
  : number;
type R0<Lo extends number, Hi extends number> = DimCmp<Hi, Lo> extends 'gt' ? DimSub<Hi, Lo> : DimCmp<Hi, Lo> extends 'none' ? number : 0;
/** An integer index is in bounds (−n ≤ i < n) unless both are static and it is not. */
type IndexOk<I extends number, N extends number> = IsDyn<I> extends true
  ? true
  : IsDyn<N> extends true
    ? true
    : `${I}` extends `-${infer P extends number}`
      ? DimCmp<P, N> extends 'gt'
        ? false
        : true
      : DimCmp<I, N> extends 'lt'
        ? true
        : false;

type IndexWalk<S extends Shape, Specs extends readonly unknown[], Fill extends number, Out extends number[] = []> = Specs extends readonly [
  infer Sp,
  ...infer R,
]
  ? [Sp] extends ['newaxis']
    ? IndexWalk<S, R, Fill, [...Out, 1]>
    : [Sp] extends ['...']
      ? TakeN<S, Fill> extends [infer Taken extends number[], infer Rest extends Shape]
        ? IndexWalk<Rest, R, Fill, [...Out, ...Taken]>
        : never
      : S extends readonly [infer d extends number, ...infer SR extends Shape]
        ? [Sp] extends [null]
          ? IndexWalk<SR, R, Fill, [...Out, d]>
          : [Sp] extends [number]
            ? IndexOk<Sp & number, d> extends true
              ? IndexWalk<SR, R, Fill, Out>
              : never
            : [Sp] extends [readonly unknown[]]
              ? IndexWalk<SR, R, Fill, [...Out, RangeLen<d, Sp>]>
              : [Sp] extends [{ readonly shape: infer I extends Shape }]
                ? IsFixedRank<I> extends true
                  ? IndexWalk<SR, R, Fill, [...Out, ...I]>
                  : number[]
                : number[]
        : never
  : [...Out, ...S];
type TakeN<S extends Shape, N extends number, Acc extends number[] = []> = Acc['length'] extends N
  ? [Acc, S]
  : S extends readonly [infer H extends number, ...infer R extends Shape]
    ? TakeN<R, N, [...Acc, H]>
    : [Acc, []];

/**
 * The shape of `x.slice(...Specs)` (NumPy indexing, see `IndexEntry`). Range lengths are
 * computed when the dim and the bounds are static and the step is positive (or a bare
 * negative step), else they are `number`; non-literal entries give `number[]`. never for too
 * many indices, two ellipses or a static integer index out of bounds.
 */
export type SliceShape<S extends Shape, Specs extends readonly unknown[]> =
  IsFixedRank<S> extends false
    ? number[]
    : IsFixedRank<Specs> extends false
      ? number[]
      : CountConsuming<Specs> extends infer Used extends number
        ? DimCmp<Used, S['length']> extends 'gt'
          ? never
          : EllipsisCount<Specs> extends 0 | 1
            ? IndexWalk<S, Specs, DimSub<S['length'], Used>>
            : never
        : never;
type EllipsisCount<Specs extends readonly unknown[], C extends unknown[] = []> = Specs extends readonly [infer H, ...infer R]
  ? EllipsisCount<R, [H] extends ['...'] ? [...C, 0] : C>
  : C['length'];
/** Rejects index entries that are invalid for S (too many, two ellipses, static out of bounds). */
export type CheckSlice<S extends Shape, Specs extends readonly unknown[]> = ShapeCheck<
  SliceShape<S, Specs>,
  `slice: invalid index for shape ${ShapeStr<S>} (too many indices, two ellipses or an index out of bounds)`,
  [S]
>;
