// Recorded GPU cases: a function compiled for CUDA here (where the compiler runs), with its
// inputs and the interpreter's results, replayed on a GPU machine by a runtime-only script.
// The format is JSON; non-finite numbers (in inputs, results and constants baked into the
// executable) are written as the strings "NaN", "Infinity", "-Infinity"; the module's cubin
// (optional) as base64.
import type { DType, HostArray } from '../../compiler/ir/dtype.ts';
import { allocHost } from '../../compiler/ir/dtype.ts';
import type { CudaModule, ExecProgram } from '../../runtime/executable.ts';
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';

export interface GpuCaseArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Base64 of the host array's bytes (little-endian; f16/bf16 are held as f32, bool as u8). */
  readonly data: string;
}

export interface GpuCase {
  /** Where the case came from (test name and call number, or benchmark name). */
  readonly name: string;
  readonly module: CudaModule;
  readonly program: ExecProgram;
  readonly inputs: readonly GpuCaseArray[];
  /** The interpreter's results, in the program's output order. */
  readonly expected: readonly GpuCaseArray[];
  readonly rtol: number;
  readonly atol: number;
}

export function encodeArray(dtype: DType, shape: readonly number[], a: HostArray): GpuCaseArray {
  return { dtype, shape: [...shape], data: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

export function decodeArray(c: GpuCaseArray): HostArray {
  const bytes = Buffer.from(c.data, 'base64');
  const n = c.shape.reduce((p, d) => p * d, 1);
  const out = allocHost(c.dtype, n);
  if (bytes.byteLength !== out.byteLength) throw new Error(`gpu case: array of ${c.dtype}[${c.shape}] has ${bytes.byteLength} bytes, expected ${out.byteLength}`);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

/** A case as JSON holds it: the module's cubin (when there is one) as base64. */
type GpuCaseJson = Omit<GpuCase, 'module'> & { readonly module: Omit<CudaModule, 'cubin'> & { readonly cubin?: string } };

export function stringifyCase(c: GpuCase): string {
  const { cubin, ...module } = c.module;
  const json: GpuCaseJson = { ...c, module: { ...module, ...(cubin && { cubin: Buffer.from(cubin.buffer, cubin.byteOffset, cubin.byteLength).toString('base64') }) } };
  return stringifyNonFinite(json);
}

export function parseCase(text: string): GpuCase {
  // Only constant data holds numbers that may be non-finite; names never equal these strings.
  const json = parseNonFinite(text) as GpuCaseJson;
  const { cubin, ...module } = json.module;
  // Cases recorded before cubins have none: their PTX is JIT-compiled.
  if (cubin === undefined) return { ...json, module };
  if (typeof cubin !== 'string') throw new Error(`gpu case ${json.name}: module.cubin is not a base64 string`);
  return { ...json, module: { ...module, cubin: new Uint8Array(Buffer.from(cubin, 'base64')) } };
}
