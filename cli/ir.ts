// `kiln ir`: traces a model file's function to graph IR (or reads a .kir file, or the IR an
// artifact stores) and prints the IR at a chosen stage of the pipeline.
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Func } from '../compiler/ir/ir.ts';
import { argSpecToString, parseArgSpecs } from './arg-spec.ts';
import { CliError, UsageError, didYouMean, parseCommandArgs, type Command } from './command.ts';
import { DEFAULT_STAGE, findStage, PLANNED_STAGES, STAGES } from './stages.ts';

const MODEL_EXT = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/;
const TS_EXT = /\.(?:[cm]?ts|tsx)$/;

export const irCommand: Command = {
  name: 'ir',
  summary: 'print the graph IR of a model function, or check and reprint a .kir file',
  usage: [
    'kiln ir <model.ts> [--entry <fn>] [--args <shapes>] [--stage <stage>]',
    'kiln ir <file.kir | -> [--stage <stage>]',
    'kiln ir <artifact.kiln> [--entry <fn>] [--stage <stage>]',
  ],
  details: [
    'With a model file (.ts or .js), imports it, takes the exported function named by --entry',
    '(which may be left out when the file exports exactly one function), calls it on abstract',
    'arguments, traces it with makeIR and prints the IR. The arguments come from the types of',
    "the function's parameters (Tensor<[2, 3], 'f32'>, trees of them, static numbers with their",
    'defaults), as `kiln compile` reads them; --args gives what the types leave open, by name',
    "(x=[2,3], see 'kiln help compile'), or every argument by position (below).",
    'Each equation ends with loc("file":line:col), the line of the model that made it.',
    '',
    'With an artifact (written by kiln compile), parses the graph IR it stores for each entry',
    '(--entry picks one; all by default) and runs the same stages on it.',
    '',
    'With a .kir file (graph-IR text, as this command prints it; - reads standard input),',
    'parses it, verifies every function and prints it back in canonical form. A malformed file',
    'is reported as file:line:col: message.',
    '',
    'Options:',
    '  --entry, -e <fn>      the exported function to trace',
    "  --args, -a <shapes>   its arguments: a comma-separated list of dtype[d0,d1,...], e.g.",
    "                        'f32[2,3],i32[5]'. The dtype may be left out (f32): '[2,3],[3]'.",
    "                        '[]' is a scalar. Dtypes: f32, f64, i32, bool, f16, bf16.",
    "                        By name, only what the types leave open: 'x=[1000,784],lr=0.1'.",
    '  --stage, -s <stage>   what to print (default: trace):',
    ...STAGES.map((s) => `                          ${s.name.padEnd(8)} ${s.summary}`),
    ...(PLANNED_STAGES.length ? [`                        planned: ${PLANNED_STAGES.join(', ')}`] : []),
  ].join('\n'),
  examples: [
    { comment: 'trace softmax on a 2x3 f32 matrix', command: "kiln ir model.ts --entry softmax --args 'f32[2,3]'" },
    { comment: 'two arguments, dtypes defaulting to f32', command: "kiln ir model.ts --entry linear --args '[4,3],[3,2]'" },
    { comment: 'check a hand-written IR file and print it canonically', command: 'kiln ir softmax.kir' },
    { comment: 'the shapes from the types; the batch size (a dynamic dim) by name', command: "kiln ir examples/ch04/mlp-model.ts -e predict -a 'x=[256,1,28,28]' -s fused" },
    { comment: "the IR an artifact stores, through the optimiser", command: 'kiln ir mlp.kiln --entry predict --stage opt' },
    { comment: 'round-trip: the printed IR parses back', command: "kiln ir model.ts -e softmax -a '[2,3]' | kiln ir -" },
  ],
  async run(argv, io) {
    const { values, positionals } = parseOptions(argv);
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'missing the model or .kir file' : `expected one file, got ${positionals.join(' ')}`, 'ir');
    }
    const file = positionals[0]!;
    const stage = findStage(values.stage ?? DEFAULT_STAGE);
    let funcs: Func[];
    if (file === '-' || file.endsWith('.kir')) {
      for (const opt of ['entry', 'args'] as const) {
        if (values[opt] !== undefined) throw new UsageError(`--${opt} applies to a model file, not to IR text`, 'ir');
      }
      funcs = file === '-' ? await readIR(await io.readStdin(), '<stdin>') : await readIR(await readText(file), file);
    } else if (MODEL_EXT.test(file)) {
      const byName = values.args === undefined || values.args.includes('=');
      funcs = [byName && TS_EXT.test(file) ? await traceTyped(file, values.entry, values.args) : await traceModel(file, values.entry, values.args)];
    } else if (await isArtifact(file)) {
      if (values.args !== undefined) throw new UsageError('--args applies to a model file, not to an artifact (its shapes are fixed)', 'ir');
      funcs = await readArtifactIR(file, values.entry);
    } else {
      throw new UsageError(`'${file}' is neither a model file (.ts, .js) nor IR text (.kir), nor an artifact (from kiln compile)`, 'ir');
    }
    io.out(await stage.run({ funcs, source: file }));
  },
};

function parseOptions(argv: readonly string[]) {
  return parseCommandArgs(
    argv,
    {
      entry: { type: 'string', short: 'e' },
      args: { type: 'string', short: 'a' },
      stage: { type: 'string', short: 's' },
    },
    'ir',
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

// The parser (chevrotain) and the DSL load only when needed, so that `kiln --help` is quick.

/** Parses IR text; parseModule verifies each function and reports faults as file:line:col. */
async function readIR(text: string, source: string): Promise<Func[]> {
  const { parseModule } = await import('../compiler/ir/parse.ts');
  const { verifyFunc } = await import('../compiler/ir/verify.ts');
  const funcs = parseModule(text, source);
  for (const f of funcs) verifyFunc(f);
  return funcs;
}

async function requireFile(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new CliError(`${file} is not a file`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${file}: no such file`);
  }
}

async function importModel(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
}

/** The exported function `entry`, or the only one; UsageErrors name the exported functions. */
function pickEntry(mod: Record<string, unknown>, file: string, entry: string | undefined): { name: string; fn: (...args: unknown[]) => unknown } {
  const fnNames = Object.keys(mod).filter((n) => typeof mod[n] === 'function').sort();
  if (entry === undefined) {
    if (fnNames.length !== 1) {
      throw new UsageError(
        fnNames.length === 0 ? `${file} exports no function` : `${file} exports several functions (${fnNames.join(', ')}); choose one with --entry`,
        'ir',
      );
    }
    entry = fnNames[0]!;
  }
  const f = mod[entry];
  if (typeof f !== 'function') {
    const what = entry in mod ? `exports '${entry}', but it is not a function` : `has no export named '${entry}'`;
    throw new UsageError(`${file} ${what}${didYouMean(entry, fnNames)} (exported functions: ${fnNames.join(', ') || 'none'})`, 'ir');
  }
  return { name: entry, fn: f as (...args: unknown[]) => unknown };
}

async function traceModel(file: string, entry: string | undefined, argsText: string | undefined): Promise<Func> {
  const specs = argsText === undefined ? [] : parseArgSpecs(argsText); // before the (slower) import
  await requireFile(file);
  const { name, fn: f } = pickEntry(await importModel(file), file, entry);
  entry = name;
  const { makeIR, shapeDtype } = await import('../dsl/make-ir.ts');
  const { verifyFunc } = await import('../compiler/ir/verify.ts');
  if (specs.length < f.length) {
    throw new UsageError(
      `${entry} takes ${f.length} argument${f.length === 1 ? '' : 's'}, but --args gives ${specs.length}` +
        (specs.length ? ` (${specs.map(argSpecToString).join(', ')})` : '; e.g. --args \'f32[2,3]\''),
      'ir',
    );
  }
  const traced = makeIR(f as (...args: unknown[]) => unknown, { name: entry })(...specs.map((s) => shapeDtype(s.shape, s.dtype)));
  verifyFunc(traced.func);
  return traced.func;
}

/**
 * Traces the entry on abstract arguments read from its parameter types (compiler/aot), with
 * --args by name for what the types leave open.
 */
async function traceTyped(file: string, entry: string | undefined, argsText: string | undefined): Promise<Func> {
  const { traceModel: trace, ArgsError, EntryError } = await import('../compiler/aot/index.ts');
  await requireFile(file);
  // The exports at run time first: a missing or ambiguous entry is reported without the (slower) type checker.
  const name = pickEntry(await importModel(file), file, entry).name;
  try {
    const m = await trace({ file, entries: [name], args: argsText, didYouMean, typeCheck: false });
    return m.entries[0]!.func;
  } catch (e) {
    if (e instanceof EntryError) throw new UsageError(e.message, 'ir');
    if (e instanceof ArgsError) {
      if (argsText !== undefined) throw new UsageError(e.message, 'ir');
      // Nothing given and the types leave shapes open: say how to give them, either way.
      const n = pickEntry(await importModel(file), file, name).fn.length;
      throw new UsageError(
        `${name} takes ${n} argument${n === 1 ? '' : 's'}, but --args gives 0; e.g. --args 'f32[2,3]' (all by position) or by name: ${e.message}`,
        'ir',
      );
    }
    throw e;
  }
}


/** Whether `file` starts with the artifact magic. */
async function isArtifact(file: string): Promise<boolean> {
  const { MAGIC } = await import('../runtime/artifact/container.ts');
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return false; // not there: the caller reports what kind of file it expected
  }
  try {
    const buf = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead === buf.length && buf.toString('latin1') === MAGIC;
  } finally {
    await fh.close();
  }
}

/** The graph IR an artifact stores: every entry, or the one --entry names. */
async function readArtifactIR(file: string, entry: string | undefined): Promise<Func[]> {
  const { decodeArtifact } = await import('../runtime/artifact/format.ts');
  const art = decodeArtifact(await readFile(file), file);
  if (art.ir === undefined) throw new CliError(`${file} stores no graph IR (it was packaged without it)`);
  const funcs = await readIR(art.ir, `${file}:ir`);
  if (entry === undefined) return funcs;
  const f = funcs.find((fn) => fn.name === entry);
  if (!f) {
    const names = funcs.map((fn) => fn.name);
    throw new UsageError(`${file} has no entry '${entry}'${didYouMean(entry, names)} (entries: ${names.join(', ')})`, 'ir');
  }
  return [f];
}
