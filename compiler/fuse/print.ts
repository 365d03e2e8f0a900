// The text of a fused program, for `kiln ir --stage fused`. Deterministic:
//
//   fused @softmax(%0: f32[2,3]) {
//     k0_reduce reduce reads(%0) writes(%1)
//       func @k0_reduce(%0: f32[2,3]) -> (f32[2]) {
//         %1 = reduce_max %0 {axes=[1]} : f32[2]
//         return %1
//       }
//     control scan reads(%1, %4) writes(%5, %6)
//       region body:
//       fused @body(%0: f32[2], %1: f32[2]) {
//         ...
//       }
//     return %7
//   }
//
// Buffers are named by the value numbers of the printed source function (`program.source`,
// numbered as printFunc numbers it: inputs, then each equation's results); a value the source
// does not define (none, normally) is numbered after them, in step order. A kernel's own func
// numbers its values from %0, as every printed func does.
import type { Var } from '../ir/ir.ts';
import { printFunc, printFuncName, printType } from '../ir/print.ts';
import { regionsOf } from '../ir/param-schema.ts';
import type { MemoryPlan, Placement } from './memory.ts';
import type { FusedProgram } from './program.ts';

function numbering(p: FusedProgram): (v: Var) => string {
  const num = new Map<Var, number>();
  const define = (v: Var) => num.has(v) || num.set(v, num.size);
  if (p.source) {
    p.source.inputs.forEach(define);
    for (const e of p.source.eqns) e.outputs.forEach(define);
  }
  p.inputs.forEach(define);
  for (const s of p.steps) (s.kind === 'kernel' ? s.outputs : s.eqn.outputs).forEach(define);
  return (v) => `%${num.get(v) ?? `?${v.id}`}`;
}

const indent = (text: string, pad: string) =>
  text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');

function printPlacement(pl: Placement): string {
  switch (pl.kind) {
    case 'arena':
      return `arena [${pl.offset}, ${pl.offset + pl.bytes})`;
    case 'input':
      return `input ${pl.index}`;
    case 'output':
      return `output ${pl.index}`;
    case 'donated':
      return `output ${pl.index} in input ${pl.input}${pl.inPlace ? ' (in place)' : ''}`;
    default:
      return pl satisfies never;
  }
}

/**
 * The program's text. With a memory plan, each level ends with its arena and peak sizes and
 * where each value its steps write lives.
 */
export function printFused(p: FusedProgram, plan?: MemoryPlan): string {
  const name = numbering(p);
  const list = (vs: readonly Var[]) => vs.map(name).join(', ');
  const lines = [`fused ${printFuncName(p.name)}(${p.inputs.map((v) => `${name(v)}: ${printType(v.aval)}`).join(', ')}) {`];
  p.steps.forEach((s, index) => {
    if (s.kind === 'kernel') {
      lines.push(`  ${s.kernel.name} ${s.kernel.kind} reads(${list(s.inputs)}) writes(${list(s.outputs)})`);
      lines.push(indent(printFunc(s.kernel.func).trimEnd(), '    '));
    } else {
      lines.push(`  control ${s.eqn.primitive} reads(${list(s.eqn.inputs)}) writes(${list(s.eqn.outputs)})`);
      regionsOf(s.eqn.primitive, s.eqn.params).forEach((r, i) => {
        lines.push(`    region ${r.index === undefined ? r.param : `${r.param}[${r.index}]`}:`);
        lines.push(indent(printFused(s.regions[i]!, plan?.regions.get(index)?.[i]).trimEnd(), '    '));
      });
    }
  });
  lines.push(`  return ${list(p.outputs)}`);
  if (plan) {
    lines.push(`  memory: arena ${plan.arenaBytes} bytes, peak ${plan.peakBytes} bytes`);
    const written = new Set(p.steps.flatMap((s) => (s.kind === 'kernel' ? s.outputs : s.eqn.outputs)));
    for (const v of written) lines.push(`    ${name(v)}: ${printPlacement(plan.placements.get(v)!)}`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
