// The IR verifier: checks the invariants every pass may assume of a Func. Run after parsing and
// (cheaply) after any pass in debug builds. Messages name the func, the equation index, its
// primitive and its source location, since that is what a user or pass author can act on.
//
// Regions (the Func-valued params of control-flow primitives) are verified as functions in
// their own right, closed: a region may use only its own inputs and the values it defines.
// A fault inside a region is reported with its path from the top-level func, e.g.
// `func @main: eqn 3 (scan) body: eqn 1 (dot_general): ...`; the shape rules then check each
// region's signature against the equation's operands.
import { isDType } from './dtype.ts';
import { ShapeError, VerifyError } from './errors.ts';
import { avalToString, locToString, sameAval, type AVal, type Func, type Var } from './ir.ts';
import { checkParams, regionsOf } from './param-schema.ts';
import { printFuncName } from './print.ts';
import { isPrimitive } from './primitives.ts';
import { inferAvals } from './shape-rules.ts';

/**
 * A VerifyError inside one equation. The parser uses the indices to point at the equation's
 * line (and at the offending result type when `outputIndex` is set). When the fault is inside
 * one of the equation's regions, `region` says which (param name, and list index for cond's
 * branches) and holds the error of the region itself, whose own indices are relative to the
 * region; the message is the same, the full path.
 */
export class EqnVerifyError extends VerifyError {
  constructor(
    message: string,
    readonly eqnIndex: number,
    readonly outputIndex?: number,
    readonly region?: RegionFault,
  ) {
    super(message);
  }
}

/** Where in an equation's regions a fault is: param, index in a list param, and the error. */
export interface RegionFault {
  readonly param: string;
  readonly index?: number;
  readonly error: VerifyError;
}

/** Why an aval is malformed, or undefined when it is fine. */
function avalProblem(a: AVal): string | undefined {
  if (typeof a.dtype !== 'string' || !isDType(a.dtype)) return `unknown dtype '${String(a.dtype)}'`;
  if (!Array.isArray(a.shape)) return `shape is not a list`;
  for (const d of a.shape) {
    if (!Number.isSafeInteger(d) || d < 0) return `invalid dimension ${String(d)} in ${a.dtype}[${a.shape.join(',')}]`;
  }
  return undefined;
}

// Avals are printed defensively: a malformed one must not make the message itself throw.
const typeStr = (a: AVal) => (avalProblem(a) ? `${String(a.dtype)}[${String(a.shape)}]` : avalToString(a));

/** Checks `fn`, regions included; throws VerifyError (EqnVerifyError for a fault inside an equation). */
export function verifyFunc(fn: Func): void {
  verifyIn(fn, `func ${printFuncName(fn.name)}`, () => false, new Set([fn]));
}

/**
 * Checks one func (top-level or region). `fname` prefixes every message; `isOuter` tells
 * whether a Var belongs to an enclosing func (a capture, for a better message); `active` holds
 * the funcs being verified, to reject a region that contains itself.
 */
function verifyIn(fn: Func, fname: string, isOuter: (v: Var) => boolean, active: Set<Func>): void {
  // Where each value was defined: 'input k' or 'eqn i'. Also gives values their printed
  // names (%k in definition order, as the printer numbers them) for messages.
  const definedAt = new Map<Var, { where: string; name: string }>();
  let counter = 0;
  const define = (v: Var, where: string) => definedAt.set(v, { where, name: `%${counter++}` });
  const describe = (v: Var) => definedAt.get(v)?.name ?? `a value of type ${typeStr(v.aval)} (Var #${v.id})`;
  const CAPTURE = 'regions cannot capture outer values and must take them as inputs';

  // Definition sites of all equation outputs, so a use before its definition can say where the
  // definition is instead of just "undefined".
  const laterDef = new Map<Var, number>();
  fn.eqns.forEach((e, i) => e.outputs.forEach((v) => laterDef.has(v) || laterDef.set(v, i)));
  // For regions nested in this func: a value of this func or of one enclosing it.
  const isHereOrOuter = (v: Var) => definedAt.has(v) || laterDef.has(v) || isOuter(v);

  fn.inputs.forEach((v, k) => {
    const prev = definedAt.get(v);
    if (prev) throw new VerifyError(`${fname}: input ${k} repeats ${prev.where}`);
    const bad = avalProblem(v.aval);
    if (bad) throw new VerifyError(`${fname}: input ${k}: ${bad}`);
    define(v, `input ${k}`);
  });

  fn.eqns.forEach((e, i) => {
    const prim = String(e.primitive);
    const where = `${fname}: eqn ${i} (${prim}${e.loc ? ` at ${locToString(e.loc)}` : ''})`;
    // A declaration, not an arrow: TS only narrows after calls to declared `never` functions.
    function fail(detail: string, outputIndex?: number): never {
      throw new EqnVerifyError(`${where}: ${detail}`, i, outputIndex);
    }
    if (!isPrimitive(prim)) fail(`unknown primitive '${prim}'`);
    const paramProblems = checkParams(e.primitive, e.params);
    if (paramProblems.length) fail(paramProblems.join('; '));

    e.inputs.forEach((v, k) => {
      if (definedAt.has(v)) return;
      const j = laterDef.get(v);
      if (j !== undefined) fail(`operand ${k} (${typeStr(v.aval)}) is used before its definition by eqn ${j}`);
      if (isOuter(v)) fail(`operand ${k} (${typeStr(v.aval)}) is a value of an enclosing func; ${CAPTURE}`);
      fail(`operand ${k} (${describe(v)}) is not defined`);
    });

    e.outputs.forEach((v, k) => {
      const bad = avalProblem(v.aval);
      if (bad) fail(`result ${k}: ${bad}`, k);
    });

    // Regions before the shape rule, which trusts their signatures to be well-formed.
    for (const { param, index, func } of regionsOf(e.primitive, e.params)) {
      const label = index === undefined ? param : `${param}[${index}]`;
      if (active.has(func)) fail(`${label} ${printFuncName(func.name)} contains itself`);
      active.add(func);
      try {
        verifyIn(func, `${where} ${label}`, isHereOrOuter, active);
      } catch (err) {
        if (!(err instanceof VerifyError)) throw err;
        throw new EqnVerifyError(err.message, i, undefined, { param, index, error: err });
      } finally {
        active.delete(func);
      }
    }

    let inferred: AVal[];
    try {
      inferred = inferAvals(e.primitive, e.params, e.inputs.map((v) => v.aval));
    } catch (err) {
      if (err instanceof ShapeError) fail(err.detail);
      // A rule that crashed on its input (it trusts params and arity) is still this eqn's fault.
      fail(`shape rule failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (inferred.length !== e.outputs.length) {
      fail(`has ${e.outputs.length} result(s) but ${prim} produces ${inferred.length}`);
    }
    e.outputs.forEach((v, k) => {
      if (!sameAval(v.aval, inferred[k]!)) {
        fail(`result ${k} is recorded as ${typeStr(v.aval)} but ${prim} gives ${avalToString(inferred[k]!)}`, k);
      }
    });

    // Define outputs last, so an eqn using its own output is caught as a use before definition.
    e.outputs.forEach((v, k) => {
      const prev = definedAt.get(v);
      if (prev) fail(`result ${k} redefines ${prev.name}, already defined by ${prev.where}`, k);
      define(v, `eqn ${i}`);
    });
  });

  fn.outputs.forEach((v, k) => {
    if (definedAt.has(v)) return;
    if (isOuter(v)) throw new VerifyError(`${fname}: output ${k} (${typeStr(v.aval)}) is a value of an enclosing func; ${CAPTURE}`);
    throw new VerifyError(`${fname}: output ${k} (${describe(v)}) is not defined`);
  });
}

/** Verifies each func and checks that func names are unique. */
export function verifyModule(fns: readonly Func[]): void {
  const seen = new Set<string>();
  for (const fn of fns) {
    if (seen.has(fn.name)) throw new VerifyError(`func ${printFuncName(fn.name)} is defined twice`);
    seen.add(fn.name);
    verifyFunc(fn);
  }
}
