// Ahead-of-time compilation: a model file's exported entries, read by their types, traced and
// described for packaging into an artifact (`kiln compile`).
export { CompileError, EntryError, posToString, type SourcePos } from './errors.ts';
export { ArgsError, parseOverrides, type Override, type OverrideValue } from './overrides.ts';
export {
  readModelSignatures, assertNoTypeErrors, findEntry, formatSigType, displayPath,
  type ModelSignatures, type EntrySig, type ParamSig, type SigType, type StaticValue,
} from './signature.ts';
export { planEntry, traceEntry, PARAMS_NAME, type EntryPlan, type TracedEntry, type InputSpec, type OutputSpec, type WeightInfo } from './entries.ts';
export { traceModel, chooseEntries, readWeights, type TraceModelRequest, type TracedModel } from './compile.ts';
export { compileModel, entrySpec, type CompileModelRequest, type CompiledModel } from './compile.ts';
