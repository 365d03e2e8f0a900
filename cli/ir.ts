// `kiln ir`: traces a model file's function to graph IR (or reads a .kir file) and prints the
// IR at a chosen stage of the pipeline.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Func } from '../compiler/ir/ir.ts';
import { argSpecToString, parseArgSpecs } from './arg-spec.ts';
import { CliError, UsageError, didYouMean, parseCommandArgs, type Command } from './command.ts';
import { DEFAULT_STAGE, findStage, PLANNED_STAGES, STAGES } from './stages.ts';

const MODEL_EXT = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/;

export const irCommand: Command = {
  name: 'ir',
  summary: 'print the graph IR of a model function, or check and reprint a .kir file',
  usage: ['kiln ir <model.ts> [--entry <fn>] [--args <shapes>] [--stage <stage>]', 'kiln ir <file.kir | -> [--stage <stage>]'],
  details: [
    'With a model file (.ts or .js), imports it, takes the exported function named by --entry',
    '(which may be left out when the file exports exactly one function), calls it on abstract',
    'arguments of the shapes and dtypes given by --args, traces it with makeIR and prints the IR.',
    'Each equation ends with loc("file":line:col), the line of the model that made it.',
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
    '  --stage, -s <stage>   what to print (default: trace):',
    ...STAGES.map((s) => `                          ${s.name.padEnd(8)} ${s.summary}`),
    ...(PLANNED_STAGES.length ? [`                        planned: ${PLANNED_STAGES.join(', ')}`] : []),
  ].join('\n'),
  examples: [
    { comment: 'trace softmax on a 2x3 f32 matrix', command: "kiln ir model.ts --entry softmax --args 'f32[2,3]'" },
    { comment: 'two arguments, dtypes defaulting to f32', command: "kiln ir model.ts --entry linear --args '[4,3],[3,2]'" },
    { comment: 'check a hand-written IR file and print it canonically', command: 'kiln ir softmax.kir' },
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
      funcs = [await traceModel(file, values.entry, values.args)];
    } else {
      throw new UsageError(`'${file}' is neither a model file (.ts, .js) nor IR text (.kir)`, 'ir');
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

async function traceModel(file: string, entry: string | undefined, argsText: string | undefined): Promise<Func> {
  const specs = argsText === undefined ? [] : parseArgSpecs(argsText); // before the (slower) import
  const abs = path.resolve(file);
  try {
    if (!(await stat(abs)).isFile()) throw new CliError(`${file} is not a file`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${file}: no such file`);
  }
  const mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
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
