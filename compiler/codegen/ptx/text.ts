// A small builder of LLVM IR text for NVVM. The text is written by hand rather than through
// llvm-bindings because libnvvm reads the LLVM 7 dialect of NVVM IR (typed pointers, no `fneg`,
// no `llvm.roundeven` or `llvm.fptosi.sat`), which llc-14 also reads; LLVM 14's printer would
// produce newer syntax.

/** One function's instructions: entry-block allocas apart, the rest in order. */
export class FnText {
  readonly allocas: string[] = [];
  readonly lines: string[] = [];
  private n = 0;

  /** `%name = text`, returning `%name`. */
  op(text: string): string {
    const r = `%v${this.n++}`;
    this.lines.push(`  ${r} = ${text}`);
    return r;
  }

  emit(text: string): void {
    this.lines.push(`  ${text}`);
  }

  /** A fresh block label (without the %). */
  label(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  /** Starts block `label`. */
  block(label: string): void {
    this.lines.push(`${label}:`);
  }

  alloca(ty: string, align: number): string {
    const r = `%a${this.n++}`;
    this.allocas.push(`  ${r} = alloca ${ty}, align ${align}`);
    return r;
  }
}

/** Module-level text: declarations (once each), globals, helper functions. */
export class ModuleText {
  private readonly decls = new Map<string, string>();
  readonly globals: string[] = [];
  readonly functions: string[] = [];
  private readonly helpers = new Set<string>();

  /** Declares `name` once with the given declaration line. */
  declare(name: string, line: string): void {
    if (!this.decls.has(name)) this.decls.set(name, line);
  }

  /** Adds a helper function's text once (by name). */
  helper(name: string, text: () => string): void {
    if (this.helpers.has(name)) return;
    this.helpers.add(name);
    this.functions.push(text());
  }

  declarations(): string[] {
    return [...this.decls.values()];
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** An exact LLVM float literal (the double's bits in hex; for `float`, v must be an f32 value). */
export function fpLiteral(v: number): string {
  f64[0] = v;
  const hex = (x: number) => x.toString(16).toUpperCase().padStart(8, '0');
  return `0x${hex(u32[1]!)}${hex(u32[0]!)}`;
}
