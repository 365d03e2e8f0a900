// Element types of the IR. f16 and bf16 are declared for GPU work; the interpreter and the
// host side store them widened to f32.

export const DTYPES = ['f32', 'f64', 'i32', 'bool', 'f16', 'bf16'] as const;
/** An element type: f32, f64, i32, bool (f16 and bf16 for GPU work). */
export type DType = (typeof DTYPES)[number];
export type FloatDType = 'f32' | 'f64' | 'f16' | 'bf16';

export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function isFloat(d: DType): d is FloatDType {
  return d === 'f32' || d === 'f64' || d === 'f16' || d === 'bf16';
}

export function byteSize(d: DType): number {
  switch (d) {
    case 'f64':
      return 8;
    case 'f32':
    case 'i32':
      return 4;
    case 'f16':
    case 'bf16':
      return 2;
    case 'bool':
      return 1;
    default:
      return d satisfies never;
  }
}

/** A fresh zero-filled host array able to hold `n` elements of `d`. */
export function allocHost(d: DType, n: number): HostArray {
  switch (d) {
    case 'f64':
      return new Float64Array(n);
    case 'f32':
    case 'f16':
    case 'bf16':
      return new Float32Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      return d satisfies never;
  }
}

const RANK: Record<DType, number> = { bool: 0, i32: 1, bf16: 2, f16: 2, f32: 3, f64: 4 };

/** The dtype that two operands of a binary op promote to (NumPy/JAX-like lattice). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if ((a === 'f16' && b === 'bf16') || (a === 'bf16' && b === 'f16')) return 'f32';
  return RANK[a] >= RANK[b] ? a : b;
}
