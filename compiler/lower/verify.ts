// A checker for loop IR: scopes, types and static bounds. Every lowered kernel passes it; the
// loop interpreter runs it first; code generators may rely on what it checks:
// - every variable is defined before use in an enclosing block and never redefined while
//   visible (no shadowing); `assign` targets a `decl`;
// - expression types: operands of a binary op share a type; comparisons give bool; idiv /
//   imod only on index and i32; float-only unary ops only on floats; `not` on bool / i32;
//   select conditions are bool; loads / stores / loop bounds are indexed by `index`
//   expressions; a load has its parameter's dtype and a store's value has it too;
// - no store into an 'in' parameter; `parallel` only on loops not nested in a loop;
// - matmul and sort statements fit in their parameters.
import { isFloat } from '../ir/dtype.ts';
import { VerifyError } from '../ir/errors.ts';
import { Primitive, type UnaryOp } from '../ir/primitives.ts';
import type { BinaryFn, Expr, LoopKernel, ScalarType, Stmt } from './loop-ir.ts';

const FLOAT_UNARY = new Set<UnaryOp>([
  Primitive.Exp, Primitive.Log, Primitive.Log1p, Primitive.Expm1, Primitive.Sqrt, Primitive.Rsqrt, Primitive.Sin,
  Primitive.Cos, Primitive.Tanh, Primitive.Logistic, Primitive.Floor, Primitive.Ceil, Primitive.Round,
]);
const COMPARE = new Set<BinaryFn>([Primitive.Eq, Primitive.Ne, Primitive.Lt, Primitive.Le, Primitive.Gt, Primitive.Ge]);
const FLOAT_BINARY = new Set<BinaryFn>([Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Div, Primitive.Pow, Primitive.Max, Primitive.Min]);
const BOOL_BINARY = new Set<BinaryFn>([Primitive.And, Primitive.Or, Primitive.Xor, Primitive.Max, Primitive.Min]);
const INDEX_BINARY = new Set<BinaryFn>([Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Max, Primitive.Min, 'idiv', 'imod']);

interface Binding { t: ScalarType; mutable: boolean }

/** Throws a VerifyError naming the kernel and the problem if `k` is not well formed. */
export function verifyLoopKernel(k: LoopKernel): void {
  const fail = (msg: string): never => {
    throw new VerifyError(`loop IR ${k.name}: ${msg}`);
  };
  k.params.forEach((p, i) => {
    if (!Number.isInteger(p.size) || p.size < 0) fail(`parameter ${i} (${p.name}) has invalid size ${p.size}`);
  });
  const param = (b: number, what: string) => {
    const p = k.params[b];
    if (!Number.isInteger(b) || !p) return fail(`${what}: no parameter ${b}`);
    return p;
  };
  const scopes: Map<string, Binding>[] = [];
  const find = (name: string) => {
    for (let s = scopes.length - 1; s >= 0; s--) {
      const b = scopes[s]!.get(name);
      if (b) return b;
    }
    return undefined;
  };
  const define = (name: string, t: ScalarType, mutable: boolean) => {
    if (find(name)) fail(`'${name}' is defined again while visible`);
    scopes[scopes.length - 1]!.set(name, { t, mutable });
  };

  const expr = (e: Expr): ScalarType => {
    const want = (x: Expr, t: ScalarType, what: string) => {
      const got = expr(x);
      if (got !== t) fail(`${what}: expected ${t}, got ${got}`);
    };
    switch (e.k) {
      case 'const':
        if ((e.t === 'i32' || e.t === 'index') && !Number.isInteger(e.v)) fail(`${e.t} constant ${e.v} is not an integer`);
        if (e.t === 'bool' && e.v !== 0 && e.v !== 1) fail(`bool constant ${e.v}`);
        return e.t;
      case 'var': {
        const b = find(e.name);
        if (!b) return fail(`'${e.name}' used outside its scope`);
        if (b.t !== e.t) fail(`'${e.name}' is ${b.t}, used as ${e.t}`);
        return e.t;
      }
      case 'load': {
        const p = param(e.buf, 'load');
        if (p.dtype !== e.t) fail(`load from ${p.name} (${p.dtype}) typed ${e.t}`);
        want(e.idx, 'index', `load index of ${p.name}`);
        return e.t;
      }
      case 'unary': {
        want(e.a, e.t, `operand of ${e.op}`);
        if (e.t === 'index') {
          if (e.op !== Primitive.Neg && e.op !== Primitive.Abs && e.op !== Primitive.Sign) fail(`${e.op} on index`);
        } else if (FLOAT_UNARY.has(e.op) && !isFloat(e.t)) fail(`${e.op} on ${e.t}`);
        else if (e.op === Primitive.Not && e.t !== 'bool' && e.t !== 'i32') fail(`not on ${e.t}`);
        else if (e.t === 'bool' && e.op !== Primitive.Not) fail(`${e.op} on bool`);
        return e.t;
      }
      case 'binary': {
        const ta = expr(e.a), tb = expr(e.b);
        if (ta !== tb) fail(`${e.op} operands differ in type: ${ta} and ${tb}`);
        if (COMPARE.has(e.op)) {
          if (e.t !== 'bool') fail(`${e.op} typed ${e.t}, expected bool`);
          return e.t;
        }
        if (e.t !== ta) fail(`${e.op} on ${ta} typed ${e.t}`);
        const ok = e.t === 'index' ? INDEX_BINARY.has(e.op)
          : e.t === 'bool' ? BOOL_BINARY.has(e.op)
          : e.t === 'i32' ? true
          : FLOAT_BINARY.has(e.op);
        if (!ok) fail(`${e.op} on ${e.t}`);
        return e.t;
      }
      case 'select':
        want(e.c, 'bool', 'select condition');
        want(e.a, e.t, 'select true value');
        want(e.b, e.t, 'select false value');
        return e.t;
      case 'cast':
        expr(e.a);
        return e.t;
      case 'threefry':
        if (e.t !== 'i32') fail('threefry must be i32');
        want(e.k0, 'i32', 'threefry key word 0');
        want(e.k1, 'i32', 'threefry key word 1');
        want(e.ctr, 'index', 'threefry counter');
        return e.t;
      default:
        return e satisfies never;
    }
  };

  let depth = 0;
  const block = (ss: readonly Stmt[], bind?: () => void) => {
    scopes.push(new Map());
    bind?.();
    ss.forEach(stmt);
    scopes.pop();
  };
  const stmt = (s: Stmt): void => {
    switch (s.k) {
      case 'for':
        if (expr(s.n) !== 'index') fail(`loop bound of ${s.v} is not index`);
        if (s.parallel && depth > 0) fail(`parallel loop ${s.v} is nested in another loop`);
        depth++;
        block(s.body, () => define(s.v, 'index', false));
        depth--;
        return;
      case 'let':
        define(s.name, expr(s.e), false);
        return;
      case 'decl':
        if (expr(s.init) !== s.t) fail(`'${s.name}' declared ${s.t}, initialised with ${expr(s.init)}`);
        define(s.name, s.t, true);
        return;
      case 'assign': {
        const b = find(s.name);
        if (!b) return fail(`assignment to undefined '${s.name}'`);
        if (!b.mutable) fail(`assignment to immutable '${s.name}'`);
        if (expr(s.e) !== b.t) fail(`assignment of ${expr(s.e)} to '${s.name}' (${b.t})`);
        return;
      }
      case 'store': {
        const p = param(s.buf, 'store');
        if (p.role === 'in') fail(`store into input ${p.name}`);
        if (expr(s.idx) !== 'index') fail(`store index into ${p.name} is not index`);
        const t = expr(s.e);
        if (t !== p.dtype) fail(`store of ${t} into ${p.name} (${p.dtype})`);
        return;
      }
      case 'if':
        if (expr(s.c) !== 'bool') fail('if condition is not bool');
        block(s.then);
        block(s.else);
        return;
      case 'matmul': {
        const dims = [s.batch, s.m, s.n, s.kdim];
        if (!dims.every((d) => Number.isInteger(d) && d >= 0)) fail(`matmul dimensions ${dims.join(', ')}`);
        const a = param(s.a, 'matmul a'), b = param(s.b, 'matmul b'), c = param(s.c, 'matmul c');
        for (const p of [a, b, c]) if (p.dtype !== s.dtype) fail(`matmul ${s.dtype} on ${p.name} (${p.dtype})`);
        if (c.role === 'in') fail(`matmul writes input ${c.name}`);
        const reach = (st: readonly number[], d0: number, d1: number, d2: number) =>
          d0 * d1 * d2 === 0 ? -1 : (d0 - 1) * st[0]! + (d1 - 1) * st[1]! + (d2 - 1) * st[2]!;
        for (const st of [s.aStrides, s.bStrides]) if (!st.every((x) => Number.isInteger(x) && x >= 0)) fail(`matmul strides ${st.join(', ')}`);
        if (reach(s.aStrides, s.batch, s.m, s.kdim) >= a.size) fail(`matmul reads past the end of ${a.name}`);
        if (reach(s.bStrides, s.batch, s.kdim, s.n) >= b.size) fail(`matmul reads past the end of ${b.name}`);
        if (s.batch * s.m * s.n > c.size) fail(`matmul writes past the end of ${c.name}`);
        return;
      }
      case 'sort': {
        if (s.inputs.length !== s.outputs.length || s.inputs.length === 0) fail('sort needs one output per input');
        if (!(s.numKeys >= 1 && s.numKeys <= s.inputs.length)) fail(`sort numKeys ${s.numKeys}`);
        const n = s.outer * s.len * s.inner;
        s.inputs.forEach((b, i) => {
          const p = param(b, 'sort input'), q = param(s.outputs[i]!, 'sort output');
          if (p.size < n || q.size < n) fail(`sort of ${n} elements on ${p.name} / ${q.name}`);
          if (p.dtype !== q.dtype) fail(`sort output ${q.name} (${q.dtype}) differs from input ${p.name} (${p.dtype})`);
          if (q.role === 'in') fail(`sort writes input ${q.name}`);
        });
        return;
      }
      default:
        return s satisfies never;
    }
  };
  block(k.body);
}
