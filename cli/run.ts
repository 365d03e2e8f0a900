// `kiln run`: loads an artifact (written by kiln compile) with the runtime alone and runs one
// entry on inputs read from a safetensors file, writing the results to another.
import { readFileSync } from 'node:fs';
import { KilnError } from '../compiler/ir/errors.ts';
import { CommandError, UsageError, parseCommandArgs, type Command, type Io } from './command.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'run an entry of a compiled artifact on inputs from a safetensors file',
  usage: ['kiln run <artifact> [--entry <name>] [--inputs <in.safetensors>] [--outputs <out.safetensors>]'],
  details: [
    'Loads the artifact (see kiln compile) with the runtime only (no compiler), checks it (its',
    'checksum, its manifest, its target against this machine) and runs one entry.',
    '',
    'Inputs are the tensors of a safetensors file, named by the paths of the entry\'s inputs',
    '(kiln inspect lists them: x, params.W1, ...); inputs bound to the artifact\'s weights are not',
    'given. Results are written to a safetensors file named by the paths of the outputs; without',
    '--outputs, each result is printed (path, type and its first values).',
    '',
    'Options:',
    '  --entry, -e <name>      the entry to run (may be left out when the artifact has one)',
    '  --inputs, -i <file>     a safetensors file with the inputs (k.io.save writes one)',
    '  --outputs, -o <file>    where to write the results (safetensors; written atomically)',
    '',
    'Any error (a corrupt or truncated file, a missing entry, inputs of the wrong shape or dtype,',
    'a target this machine cannot run) prints one line "kiln run: ..." and exits with status 1.',
  ].join('\n'),
  examples: [
    { comment: 'run the predict entry of a compiled MLP', command: 'kiln run mlp.kiln --entry predict --inputs x.safetensors --outputs y.safetensors' },
    { comment: 'an entry without inputs (all bound to weights), results printed', command: 'kiln run model.kiln -e init' },
  ],
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { entry: { type: 'string', short: 'e' }, inputs: { type: 'string', short: 'i' }, outputs: { type: 'string', short: 'o' } },
      'run',
    );
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the artifact file' : `expected one artifact, got ${positionals.join(' ')}`, 'run');
    try {
      await runArtifact(positionals[0]!, values, io);
    } catch (e) {
      // The user's mistakes and damaged files: one line, no stack.
      if (e instanceof KilnError) throw new CommandError('run', e.message);
      throw e;
    }
  },
};

interface RunOptions {
  readonly entry?: string;
  readonly inputs?: string;
  readonly outputs?: string;
}

async function runArtifact(file: string, opts: RunOptions, io: Io): Promise<void> {
  // The runtime only: the compiler does not load for kiln run.
  const { loadArtifact } = await import('../runtime/artifact/load.ts');
  const { ArtifactError } = await import('../runtime/artifact/errors.ts');
  const st = await import('../stdlib/io/safetensors.ts');
  const art = await loadArtifact(file);
  let entry = opts.entry;
  if (entry === undefined) {
    const names = art.entries.map((e) => e.name);
    if (names.length !== 1) throw new ArtifactError('missing-entry', `${file} has ${names.length} entries (${names.join(', ')}); choose one with --entry`);
    entry = names[0]!;
  }
  const sig = art.entry(entry);
  let inputs: Record<string, unknown> = {};
  if (opts.inputs !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(opts.inputs);
    } catch (e) {
      throw new ArtifactError('unavailable', `cannot read the inputs file ${opts.inputs}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    inputs = Object.fromEntries(st.deserialize(bytes, opts.inputs).tensors);
  } else if (sig.inputs.some((s) => s.source === 'arg')) {
    const args = sig.inputs.filter((s) => s.source === 'arg').map((s) => s.path);
    throw new ArtifactError('bad-input', `entry '${entry}' takes inputs (${args.join(', ')}); give them with --inputs <file.safetensors>`);
  }
  const results = art.call(entry, inputs);
  if (opts.outputs !== undefined) {
    const { writeArtifact } = await import('../runtime/artifact/write.ts');
    const entries = sig.outputs.map((o) => {
      const r = results[o.path]!;
      return { name: o.path, dtype: r.dtype, shape: r.shape, bytes: () => st.encodeData(r.dtype, r.data) };
    });
    writeArtifact(opts.outputs, st.serialize(entries));
    io.out(`wrote ${sig.outputs.length} output${sig.outputs.length === 1 ? '' : 's'} of ${entry} to ${opts.outputs}: ${sig.outputs.map((o) => `${o.path} ${o.aval.dtype}[${o.aval.shape.join(',')}]`).join(', ')}\n`);
    return;
  }
  for (const o of sig.outputs) {
    const r = results[o.path]!;
    // Seven significant digits: an f32 printed as the double it widens to would show noise digits.
    const shown = Array.from(r.data.subarray(0, 8), (v) => (r.dtype === 'bool' ? String(v !== 0) : String(Number(v.toPrecision(7)))));
    io.out(`${o.path}: ${o.aval.dtype}[${o.aval.shape.join(',')}] = [${shown.join(', ')}${r.data.length > 8 ? `, ... (${r.data.length} values)` : ''}]\n`);
  }
}
