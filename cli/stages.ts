// The stages `kiln ir --stage <name>` can print. Each stage takes the traced (or parsed) graph
// IR and returns the text of its result; adding a stage is one entry in STAGES. A stage that
// needs heavy machinery (LLVM, a GPU driver) should import it dynamically inside `run`, so that
// the other stages and `kiln --help` stay quick.
import type { Func } from '../compiler/ir/ir.ts';
import { printModule } from '../compiler/ir/print.ts';
import { gradFunc } from '../compiler/autodiff/vjp.ts';
import { optimize, PASSES, type PassName } from '../compiler/passes/index.ts';
import { fuse, planMemory, printFused } from '../compiler/fuse/index.ts';
import { lowerProgram, printProgramLoops } from '../compiler/lower/lower.ts';
import { UsageError } from './command.ts';

/** What a stage starts from: the verified graph-IR functions, and where they came from. */
export interface StageInput {
  readonly funcs: readonly Func[];
  /** The model or .kir file as the user named it. */
  readonly source: string;
}

export interface Stage {
  readonly name: string;
  /** One line for the help text. */
  readonly summary: string;
  /** The text to print. */
  run(input: StageInput): string | Promise<string>;
}

const passStage = (name: PassName): Stage => ({
  name,
  summary: `the graph IR after the optimiser's ${name} pass (and the passes before it)`,
  run: ({ funcs }) => printModule(funcs.map((f) => optimize(f, { until: name, verify: true }))),
});

export const STAGES: readonly Stage[] = [
  {
    name: 'trace',
    summary: 'the graph IR as traced from the model (or as parsed from a .kir file), verified',
    run: ({ funcs }) => printModule(funcs),
  },
  {
    name: 'grad',
    summary: 'value and gradient of the first (scalar) output w.r.t. every float input, by jvp + linearize + transpose',
    run: ({ funcs }) => printModule(funcs.map((f) => gradFunc(f))),
  },
  ...(Object.keys(PASSES) as PassName[]).map(passStage),
  {
    name: 'opt',
    summary: 'the graph IR after the whole optimiser pipeline',
    run: ({ funcs }) => printModule(funcs.map((f) => optimize(f, { verify: true }))),
  },
  {
    name: 'fused',
    summary: 'the kernel groups after fusion, with the memory plan (arena offsets, peak bytes)',
    run: ({ funcs }) =>
      funcs
        .map((f) => {
          const p = fuse(optimize(f));
          return printFused(p, planMemory(p));
        })
        .join('\n'),
  },
  {
    name: 'loops',
    summary: 'every kernel lowered to loop IR (C-like)',
    run: ({ funcs }) => funcs.map((f) => printProgramLoops(fuse(optimize(f)))).join('\n'),
  },
  {
    name: 'llvm',
    summary: 'the LLVM IR module generated for the CPU (before LLVM optimises it)',
    run: async ({ funcs }) => {
      const { emitModule } = await import('../compiler/codegen/llvm/index.ts');
      return emitModule(funcs.flatMap((f) => lowerProgram(fuse(optimize(f)))), { target: 'x86_64' }).ir;
    },
  },
  {
    name: 'ptx',
    summary: 'the PTX module generated for CUDA (libnvvm, else llc-14; KILN_CUDA_ARCH picks the architecture)',
    run: async ({ funcs }) => {
      const { compileForCuda } = await import('../compiler/pipeline.ts');
      const { module } = compileForCuda(funcs);
      const launches = module.kernels.map((k) => `// ${k.name}: grid [${k.launch.grid.join(', ')}], block [${k.launch.block.join(', ')}]`);
      return [`// PTX for ${module.arch} by ${module.producer}`, ...launches, module.ptx].join('\n');
    },
  },
  {
    name: 'spirv',
    summary: 'the SPIR-V modules generated for Vulkan compute, one per kernel (disassembled; spirv-dis when installed)',
    run: async ({ funcs }) => {
      const { compileForVulkan } = await import('../compiler/pipeline.ts');
      const { disassemble } = await import('../compiler/codegen/spirv/index.ts');
      return compileForVulkan(funcs).module.kernels
        .map((k) => `; kernel ${k.name}: dispatches ${k.dispatches.map((d) => `${d.name} grid [${d.launch.grid.join(', ')}] block [${d.launch.block.join(', ')}]`).join('; ')}\n${disassemble(k.spirv)}`)
        .join('\n');
    },
  },
];

/** Stages the pipeline will have (see docs/ARCHITECTURE.md); listed as such in errors and help. */
export const PLANNED_STAGES: readonly string[] = ['ptx', 'spirv'].filter(
  (p) => !STAGES.some((s) => s.name === p),
);

export const DEFAULT_STAGE = 'trace';

/** The stage called `name`, or a UsageError listing the valid ones. */
export function findStage(name: string): Stage {
  const s = STAGES.find((st) => st.name === name);
  if (s) return s;
  const valid = STAGES.map((st) => st.name).join(', ');
  if (PLANNED_STAGES.includes(name)) {
    throw new UsageError(`--stage ${name} is not implemented yet; valid stages: ${valid}`, 'ir');
  }
  throw new UsageError(`unknown stage '${name}'; valid stages: ${valid}`, 'ir');
}
