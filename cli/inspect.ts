// `kiln inspect`: what an artifact holds (header, entries and their signatures, the launch
// plan, kernels, weights, and with --ir the stored graph IR), read without running anything.
import { byteSize } from '../compiler/ir/dtype.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import type { ExecProgram, ExecStep, GpuLaunch } from '../runtime/executable.ts';
import type { DecodedArtifact } from '../runtime/artifact/format.ts';
import type { KernelSig, KernelTable } from '../runtime/artifact/manifest.ts';
import { CommandError, UsageError, parseCommandArgs, type Command } from './command.ts';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show what a compiled artifact holds: entries, signatures, plan, kernels, weights',
  usage: ['kiln inspect <artifact> [--ir] [--json]'],
  details: [
    'Reads and checks an artifact (see kiln compile) without running it, and prints its header',
    '(format version, the Kiln that wrote it, target), each entry with its inputs (marking those',
    'bound to weights and those donated) and outputs, the launch plan of each entry (its steps',
    'and the kernels they launch, control flow nested), the kernels with their sizes, and the',
    'weights with their shapes and bytes.',
    '',
    'Options:',
    '  --ir      also print the graph IR the artifact stores (what kiln ir <artifact> starts from)',
    '  --json    print the header and the manifest as JSON instead',
  ].join('\n'),
  examples: [
    { comment: 'entries, signatures, kernels and weights of a compiled MLP', command: 'kiln inspect mlp.kiln' },
    { comment: 'with the graph IR of every entry', command: 'kiln inspect mlp.kiln --ir' },
  ],
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ir: { type: 'boolean' }, json: { type: 'boolean' } }, 'inspect');
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the artifact file' : `expected one artifact, got ${positionals.join(' ')}`, 'inspect');
    const file = positionals[0]!;
    try {
      const { readArtifactFile } = await import('../runtime/artifact/load.ts');
      const { decodeArtifact } = await import('../runtime/artifact/format.ts');
      const a = decodeArtifact(readArtifactFile(file), file);
      if (values.json) {
        const { stringifyNonFinite } = await import('../runtime/artifact/json.ts');
        io.out(`${JSON.stringify(JSON.parse(stringifyNonFinite({ header: a.header, manifest: a.manifest })), null, 2)}\n`);
        return;
      }
      io.out(describeArtifact(file, a));
      if (values.ir) io.out(a.ir === undefined ? '\nir: not stored\n' : `\nir:\n${a.ir.endsWith('\n') ? a.ir : `${a.ir}\n`}`);
    } catch (e) {
      if (e instanceof KilnError) throw new CommandError('inspect', e.message);
      throw e;
    }
  },
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

const SECTION_NAMES = { MANI: 'manifest', KERN: 'kernels', CUBN: 'cubin', WGHT: 'weights', IRTX: 'ir' } as const;

function table(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c]!.length))) ?? [];
  return rows.map((r) => `${indent}${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd());
}

/** The launch plan of a program, one line per step, control flow indented. */
function planLines(p: ExecProgram, indent: string): string[] {
  return p.steps.flatMap((s: ExecStep): string[] => {
    switch (s.kind) {
      case 'launch':
        return [`${indent}launch ${s.kernel} (${s.args.length} buffers)`];
      case 'copy':
        return [`${indent}copy buffer ${s.from} -> ${s.to}`];
      case 'cond':
        return [`${indent}cond on buffer ${s.index}, ${s.branches.length} branches`, ...s.branches.flatMap((b, i) => [`${indent}  branch ${i}:`, ...planLines(b, `${indent}    `)])];
      case 'while':
        return [`${indent}while`, `${indent}  cond:`, ...planLines(s.cond, `${indent}    `), `${indent}  body:`, ...planLines(s.body, `${indent}    `)];
      case 'scan':
        return [`${indent}scan ${s.length} steps${s.reverse ? ', reversed' : ''}`, ...planLines(s.body, `${indent}  `)];
      default:
        return s satisfies never;
    }
  });
}

function countLaunches(p: ExecProgram): number {
  return p.steps.reduce((n, s) => {
    switch (s.kind) {
      case 'launch':
        return n + 1;
      case 'copy':
        return n;
      case 'cond':
        return n + s.branches.reduce((m, b) => m + countLaunches(b), 0);
      case 'while':
        return n + countLaunches(s.cond) + countLaunches(s.body);
      case 'scan':
        return n + countLaunches(s.body);
      default:
        return s satisfies never;
    }
  }, 0);
}

const launchText = (l: GpuLaunch) => `grid ${l.grid.join('x')} block ${l.block.join('x')}${l.sharedBytes ? ` shared ${l.sharedBytes} B` : ''}`;

function kernelLine(k: KernelSig): string[] {
  const params = k.params.map((p) => `${p.role} ${p.dtype}[${p.size}]`).join(', ');
  const v = k.vulkan;
  if (v) {
    const n = v.dispatches.length;
    const extra = [v.packing && `${v.packing.buffers.length} packed buffers`, v.statusBinding !== undefined && 'loop-cap status'].filter(Boolean).join(', ');
    const dispatches = v.dispatches.map((d) => `${d.name} ${launchText(d.launch)}`).join('; ');
    return [k.name, `(${params})`, `SPIR-V ${formatBytes(v.spirv.bytes)}, ${n} dispatch${n === 1 ? '' : 'es'}: ${dispatches}${extra ? ` (${extra})` : ''}`];
  }
  return [k.name, `(${params})${k.launch ? `  ${launchText(k.launch)}` : ''}`];
}

/** Where the kernels run: the CPU platform, the PTX architecture (and the cubin's), or the Vulkan environment and features. */
function kernelsWhere(kt: KernelTable): string {
  if (kt.platform) return kt.platform;
  if (kt.arch) return `${kt.arch}, PTX by ${kt.producer ?? '?'}${kt.cubin ? `, cubin for ${kt.cubin.arch} (${formatBytes(kt.cubin.bytes)})` : ', no cubin'}`;
  if (kt.targetEnv) {
    const needs = [kt.requires?.float64 && '64-bit floats', kt.requires?.preserveNanInf && 'NaN/inf preserving float controls'].filter(Boolean);
    return `${kt.targetEnv}${needs.length ? `, needs ${needs.join(' and ')}` : ''}`;
  }
  return '';
}

export function describeArtifact(file: string, a: DecodedArtifact): string {
  const { header: h, manifest: m } = a;
  const kt = m.kernels;
  const where = kernelsWhere(kt);
  const lines = [
    `artifact ${file}: ${formatBytes(h.fileBytes)}`,
    `  format version ${h.formatVersion}, written by Kiln ${h.kilnVersion}`,
    `  target ${h.target}${where ? ` (${where})` : ''}`,
    `  sections: ${[...a.sectionBytes].map(([t, n]) => `${SECTION_NAMES[t]} ${formatBytes(n)}`).join(', ')}`,
    '',
    `entries (${m.entries.length}):`,
  ];
  for (const e of m.entries) {
    lines.push(`  ${e.name}`, '    inputs:');
    if (e.inputs.length === 0) lines.push('      (none)');
    lines.push(...table(e.inputs.map((i) => [i.path, `${i.aval.dtype}[${i.aval.shape.join(',')}]`, [i.source === 'weight' ? `weight ${i.weight}` : '', i.donated ? 'donated' : ''].filter(Boolean).join(', ')]), '      '));
    lines.push('    outputs:', ...table(e.outputs.map((o) => [o.path, `${o.aval.dtype}[${o.aval.shape.join(',')}]`]), '      '));
    lines.push(`    plan: ${e.program.steps.length} steps, ${countLaunches(e.program)} kernel launches, ${e.program.buffers.length} buffers, arena ${formatBytes(e.program.arenaBytes)}`);
    lines.push(...planLines(e.program, '      '));
  }
  lines.push('', `kernels (${kt.kernels.length}, ${kt.format} of ${formatBytes(kt.bytes)}, sha256 ${kt.sha256.slice(0, 16)}...):`);
  lines.push(...table(kt.kernels.map(kernelLine), '  '));
  const weightBytes = [...a.weights.values()].reduce((n, w) => n + w.data.byteLength, 0);
  lines.push('', m.weights.length ? `weights (${m.weights.length}, ${formatBytes(a.sectionBytes.get('WGHT') ?? weightBytes)} in the file):` : 'weights: none');
  lines.push(...table(m.weights.map((w) => [w.name, `${w.dtype}[${w.shape.join(',')}]`, formatBytes(a.weights.get(w.name)!.data.length * byteSize(w.dtype))]), '  '));
  return `${lines.join('\n')}\n`;
}
