// `kiln compile`: a model file's exported entries, read by their parameter types, traced and
// compiled ahead of time into one artifact (kernels, launch plans, signatures, weights) that
// `kiln run` and the runtime load without the compiler.
import { CliError, UsageError, didYouMean, parseCommandArgs, type Command, type Io } from './command.ts';

const TS_FILE = /\.(?:[cm]?ts|tsx)$/;

export const compileCommand: Command = {
  name: 'compile',
  summary: 'compile entries of a model file ahead of time into an artifact',
  usage: ['kiln compile <model.ts> --entry <fn>[,<fn>...] [--target cpu|cuda|vulkan] [--weights <file.safetensors>] [--args <values>] -o <file>'],
  details: [
    "Reads the model file with the TypeScript compiler and stops at its type errors. Each entry",
    "(an exported function) is traced on abstract arguments taken from its parameters' types:",
    "  Tensor<[256, 784], 'f32'>   a tensor input of that shape and dtype (dtype left out: f32)",
    '  objects, interfaces, arrays and tuples of tensors   trees of inputs, named by path',
    '                              (params.W1, pair.0)',
    '  number, boolean, string literals   static arguments, baked into the code: their value',
    '                              comes from --args, else from the default initializer',
    'Type aliases and interfaces are followed. The entries are compiled together for --target',
    'and written, with their signatures, the printed graph IR and the weights, to one artifact.',
    '',
    'Weights (--weights, a safetensors file as k.io.save writes it): a tensor input is bound to',
    "a weight, and is no longer an argument of the entry, when its path (params.W1, state.step)",
    "names a tensor of the file; the parameter named 'params' is also bound as a whole when the",
    "file holds every one of its leaves by the path inside it (W1, b1, ...: k.io.save(file,",
    'params)). A bound input takes the weight\'s shape, which must fit its type. Entries share',
    'the weights: the artifact stores each once.',
    '',
    'Donation: an entry donates parameters with a JSDoc tag, e.g. /** @donate params */ above',
    'it (or above `export const f = (...) => ...`): their buffers may hold its results (an',
    'update in place), so the caller must not use them after the call.',
    '',
    'Options:',
    '  --entry, -e <fn,...>    the entries (repeatable, or comma-separated); may be left out',
    '                          when the file exports exactly one function',
    '  --target, -t <target>   cpu (default), cuda or vulkan',
    '  --weights, -w <file>    a safetensors file whose tensors bind inputs (see above)',
    "  --args, -a <values>     what the types leave open, comma-separated, by name:",
    "                            x=[1000,784]        the full shape of x (a dynamic dim, Tensor<[number, 784]>)",
    "                            x=f32[1000,784]     with its dtype (for a type that allows several)",
    '                            predict.x=[1000,784]  for one entry only',
    '                            params.W1=[784,256]   a leaf of a tree',
    "                            lr=0.1, mode=mean   static arguments",
    "                          or, with one entry, every parameter by position: '[2,3],[3],0.1'",
    '  --out, -o <file>        the artifact to write (written atomically)',
    '  --cache-dir <dir>       where compiled kernels are cached (default KILN_CACHE_DIR)',
    '',
    'Errors name the entry, the parameter and file:line: a parameter that is not a tensor tree or',
    'a static value, a dynamic dimension without --args, a missing entry (with suggestions).',
  ].join('\n'),
  examples: [
    {
      comment: 'the MLP of chapter 4: predict on batches of 1000, weights bound from a file',
      command: "kiln compile examples/ch04/mlp-model.ts --entry predict --weights mlp.safetensors --args 'x=[1000,1,28,28]' -o mlp.kiln",
    },
    {
      comment: 'several entries in one artifact, sharing their weights',
      command: "kiln compile examples/ch04/mlp-model.ts -e predict,trainStep -w mlp.safetensors -a 'x=[256,1,28,28],y=[256]' -o mlp.kiln",
    },
    { comment: 'then run it without the compiler', command: 'kiln run mlp.kiln --entry predict --inputs x.safetensors --outputs y.safetensors' },
  ],
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        entry: { type: 'string', short: 'e', multiple: true },
        target: { type: 'string', short: 't' },
        weights: { type: 'string', short: 'w' },
        args: { type: 'string', short: 'a' },
        out: { type: 'string', short: 'o' },
        'cache-dir': { type: 'string' },
      },
      'compile',
    );
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the model file' : `expected one model file, got ${positionals.join(' ')}`, 'compile');
    const file = positionals[0]!;
    if (!TS_FILE.test(file)) throw new UsageError(`'${file}' is not a TypeScript model file (.ts): kiln compile reads the types of its entries`, 'compile');
    if (values.out === undefined) throw new UsageError('missing --out <file>: where to write the artifact', 'compile');
    const target = values.target ?? 'cpu';
    const entries = (values.entry ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
    await compile({ file, entries, target, weights: values.weights, args: values.args, out: values.out, cacheDir: values['cache-dir'] }, io);
  },
};

interface CompileOptions {
  readonly file: string;
  readonly entries: readonly string[];
  readonly target: string;
  readonly weights?: string;
  readonly args?: string;
  readonly out: string;
  readonly cacheDir?: string;
}

async function compile(o: CompileOptions, io: Io): Promise<void> {
  const { TARGETS } = await import('../runtime/artifact/manifest.ts');
  const target = TARGETS.find((t) => t === o.target);
  if (!target) throw new UsageError(`unknown target '${o.target}'${didYouMean(o.target, TARGETS)} (targets: ${TARGETS.join(', ')})`, 'compile');
  const aot = await import('../compiler/aot/index.ts');
  const { writeArtifact } = await import('../runtime/artifact/write.ts');
  let m;
  try {
    m = await aot.compileModel({ file: o.file, entries: o.entries, target, weights: o.weights, args: o.args, cacheDir: o.cacheDir, didYouMean });
  } catch (e) {
    // Mistakes on the command line (entries, --args) point at the help; the model's own are Kiln errors.
    if (e instanceof aot.EntryError || e instanceof aot.ArgsError) throw new UsageError(e.message, 'compile');
    throw e;
  }
  try {
    writeArtifact(o.out, m.bytes);
  } catch (e) {
    throw new CliError(`cannot write ${o.out}: ${(e as Error).message}`);
  }
  io.out(summary(m, o.out));
}

type Compiled = Awaited<ReturnType<typeof import('../compiler/aot/index.ts').compileModel>>;

/** What was written: per entry its arguments, bound weights and results. */
function summary(m: Compiled, out: string): string {
  const type = (x: { shape: readonly number[]; dtype: string }) => `${x.dtype}[${x.shape.join(',')}]`;
  const kib = (m.bytes.length / 1024).toFixed(1);
  const lines = [`wrote ${out} (${m.target}; ${m.entries.length} entr${m.entries.length === 1 ? 'y' : 'ies'}, ${m.weights.size} weight${m.weights.size === 1 ? '' : 's'}; ${kib} KiB)`];
  for (const e of m.entries) {
    const args = e.inputs.filter((i) => i.weight === undefined);
    const bound = e.inputs.filter((i) => i.weight !== undefined);
    const statics = Object.entries(e.statics);
    lines.push(`  ${e.name}(${args.map((i) => `${i.path}: ${type(i)}${i.donated ? ' (donated)' : ''}`).join(', ')})` + ` -> ${e.outputs.map((x) => `${x.path || 'output'}: ${type(x)}`).join(', ')}`);
    if (bound.length) lines.push(`    weights: ${bound.map((i) => (i.path === i.weight ? i.path : `${i.path} = ${i.weight}`)).join(', ')}`);
    if (statics.length) lines.push(`    static: ${statics.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
