// Tools around SPIR-V binaries: validation with spirv-val (SPIRV-Tools) and a readable
// disassembly, by spirv-dis when it is installed, else by a minimal printer of our own (one
// instruction per line: `%result = OpName %type operands`, literal strings decoded).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from '../llvm/cache.ts';
import { MAGIC, Op, OP_NAMES } from './spec.ts';

/** The SPIR-V environment Kiln targets: Vulkan 1.1 (SPIR-V 1.3). */
export const TARGET_ENV = 'vulkan1.1';

export function spirvToolsPresent(): { val: boolean; dis: boolean } {
  return { val: onPath('spirv-val') !== null, dis: onPath('spirv-dis') !== null };
}

function withTempFile<T>(words: Uint32Array, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-spirv-'));
  try {
    const path = join(dir, 'module.spv');
    writeFileSync(path, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SpirvValidation {
  readonly ok: boolean;
  /** spirv-val's message (empty when valid). */
  readonly message: string;
}

/** Runs `spirv-val --target-env vulkan1.1` on a module (spirv-val must be on PATH). */
export function validateSpirv(words: Uint32Array): SpirvValidation {
  return withTempFile(words, (path) => {
    try {
      execFileSync('spirv-val', ['--target-env', TARGET_ENV, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { ok: true, message: '' };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return { ok: false, message: `${err.stderr ?? ''}${err.stdout ?? ''}`.trim() || err.message };
    }
  });
}

/** A readable disassembly: spirv-dis's when it is installed, else `minimalDisassembly`. */
export function disassemble(words: Uint32Array): string {
  if (onPath('spirv-dis')) {
    try {
      return withTempFile(words, (path) => execFileSync('spirv-dis', ['--no-color', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    } catch {
      // fall through to our own printer
    }
  }
  return minimalDisassembly(words);
}

/** Opcodes whose instructions have a result type and a result id (the rest of ours have neither,
 * or a result id only, listed in RESULT_ONLY). */
const NO_RESULT = new Set<number>([
  Op.Name, Op.MemberName, Op.Extension, Op.MemoryModel, Op.EntryPoint, Op.ExecutionMode, Op.Capability, Op.Decorate,
  Op.MemberDecorate, Op.Store, Op.FunctionEnd, Op.LoopMerge, Op.SelectionMerge, Op.Branch, Op.BranchConditional, Op.Return,
  Op.ControlBarrier, Op.MemoryBarrier, Op.AtomicStore,
]);
const RESULT_ONLY = new Set<number>([
  Op.ExtInstImport, Op.TypeVoid, Op.TypeBool, Op.TypeInt, Op.TypeFloat, Op.TypeVector, Op.TypeArray, Op.TypeRuntimeArray,
  Op.TypeStruct, Op.TypePointer, Op.TypeFunction, Op.Label,
]);
const STRING_AT: Partial<Record<number, number>> = { [Op.Name]: 1, [Op.MemberName]: 2, [Op.Extension]: 0, [Op.ExtInstImport]: 1, [Op.EntryPoint]: 2 };

function decodeString(words: Uint32Array, from: number, end: number): { s: string; next: number } {
  const bytes: number[] = [];
  let i = from;
  for (; i < end; i++) {
    const w = words[i]!;
    let done = false;
    for (let b = 0; b < 4; b++) {
      const c = (w >>> (8 * b)) & 0xff;
      if (c === 0) {
        done = true;
        break;
      }
      bytes.push(c);
    }
    if (done) {
      i++;
      break;
    }
  }
  return { s: new TextDecoder().decode(Uint8Array.from(bytes)), next: i };
}

/** Our own printer of a module, for machines without spirv-dis. */
export function minimalDisassembly(words: Uint32Array): string {
  if (words[0] !== MAGIC) return '; not a SPIR-V module (bad magic number)';
  const lines = [`; SPIR-V ${(words[1]! >> 16) & 0xff}.${(words[1]! >> 8) & 0xff}`, `; Bound: ${words[3]}`];
  let i = 5;
  while (i < words.length) {
    const n = words[i]! >>> 16, op = words[i]! & 0xffff;
    if (n === 0) break;
    const name = OP_NAMES.get(op) ?? `Op${op}`;
    const ops = Array.from(words.subarray(i + 1, i + n));
    let head = '';
    let rest = ops;
    if (!NO_RESULT.has(op) && !RESULT_ONLY.has(op)) {
      head = `%${ops[1]} = `;
      rest = [ops[0]!, ...ops.slice(2)];
      rest = rest.map((w) => w);
      lines.push(`${head}${name} %${rest[0]} ${rest.slice(1).map((w) => (op === Op.Constant ? String(w) : `%${w}`)).join(' ')}`.trimEnd());
    } else if (RESULT_ONLY.has(op)) {
      const at = STRING_AT[op];
      const tail = at !== undefined ? JSON.stringify(decodeString(words, i + 1 + at, i + n).s) : ops.slice(1).join(' ');
      lines.push(`%${ops[0]} = ${name} ${tail}`.trimEnd());
    } else {
      const at = STRING_AT[op];
      if (at !== undefined) {
        const { s, next } = decodeString(words, i + 1 + at, i + n);
        const after = Array.from(words.subarray(next, i + n)).map((w) => `%${w}`);
        lines.push(`${name} ${ops.slice(0, at).join(' ')} ${JSON.stringify(s)} ${after.join(' ')}`.trimEnd());
      } else lines.push(`${name} ${ops.join(' ')}`.trimEnd());
    }
    i += n;
  }
  return lines.join('\n') + '\n';
}
