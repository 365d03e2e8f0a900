// The CPU backend's loader: a compiled kernel library (a shared object built by
// compiler/codegen/llvm) opened with koffi, each kernel a callable over host arrays.
// Nothing here compiles or imports the compiler: the library is an artifact.
//
// ABI: every kernel is `void <name>(void **args)`; args[i] is the address of the first element
// of param i's buffer (f32/f16/bf16: float, f64: double, i32: int32_t, bool: one byte 0/1).
//
// How the pointers are passed, without copying any data: the kernel is declared to koffi as
// `void name(void **)` and called with a plain JS array of the typed arrays. For a `void **`
// parameter koffi builds a temporary C array of pointers in its per-call memory (copied in, not
// back out: only the pointer array, 8 bytes per param); each element, being a typed array
// passed for a `void *`, is converted to the address of its data (koffi uses Node-API's buffer
// info: the backing store's address plus the view's byteOffset), so the kernel reads and writes
// the typed arrays' own memory. This is safe because
//   - the backing store of an ArrayBuffer lives outside V8's moving heap: the garbage collector
//     never relocates it (V8 first moves a small on-heap typed array's elements off the heap
//     when its buffer is asked for, which Node-API does before returning the address);
//   - the call is synchronous: no JS runs and nothing can detach, transfer or resize the buffers
//     until the kernel returns, and a kernel's OpenMP threads (GOMP_parallel) have all joined
//     before it returns;
//   - the arrays are referenced by `buffers` for the whole call, so none can be collected.
// Sizes are checked against the kernel's param sizes when a signature is given, since a kernel
// trusts them blindly.
import koffi from 'koffi';

/** Host storage of one buffer (as compiler/ir/dtype.ts's HostArray). */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A param as the kernel expects it: dtype name and number of elements. */
export interface ParamSpec {
  readonly dtype: string;
  readonly size: number;
}

export type KernelFn = (buffers: readonly HostArray[]) => void;

export class KernelLoadError extends Error {
  override name = 'KernelLoadError';
}

const STORAGE: Record<string, string> = {
  f32: 'Float32Array',
  f16: 'Float32Array',
  bf16: 'Float32Array',
  f64: 'Float64Array',
  i32: 'Int32Array',
  bool: 'Uint8Array',
};

type Library = ReturnType<typeof koffi.load>;

/** Open libraries by path: loading is done once per process, and a library is never unloaded
 * (its OpenMP worker threads may outlive any one call). */
const libraries = new Map<string, Library>();

function open(path: string): Library {
  let lib = libraries.get(path);
  if (lib === undefined) {
    try {
      lib = koffi.load(path);
    } catch (e) {
      throw new KernelLoadError(`cannot load the kernel library ${path}: ${(e as Error).message}`);
    }
    libraries.set(path, lib);
  }
  return lib;
}

// libgomp's worker threads spin before they sleep while waiting for work. Its default (about
// 300,000 spins) wastes whole time slices when the cores are shared (other processes, or the
// test runner's workers) and made training steps 10x slower under load; a short spin keeps
// the latency of back-to-back kernels on an idle machine. Read when libgomp loads, so set
// before the first kernel library; the user's own setting wins.
process.env.GOMP_SPINCOUNT ??= '2000';

/**
 * Loads `names` from the compiled library at `path`. With `signatures` (param specs per kernel
 * name), every call checks the number of buffers, their storage types and lengths.
 */
export function loadKernels(
  path: string,
  names: readonly string[],
  signatures?: Readonly<Record<string, readonly ParamSpec[]>>,
): Map<string, KernelFn> {
  const lib = open(path);
  const out = new Map<string, KernelFn>();
  for (const name of names) {
    let fn: (args: readonly HostArray[]) => void;
    try {
      fn = lib.func(name, 'void', ['void **']) as (args: readonly HostArray[]) => void;
    } catch (e) {
      throw new KernelLoadError(`kernel library ${path} has no kernel '${name}': ${(e as Error).message}`);
    }
    const sig = signatures?.[name];
    out.set(name, (buffers) => {
      check(name, buffers, sig);
      fn(buffers);
    });
  }
  return out;
}

function check(name: string, buffers: readonly HostArray[], sig: readonly ParamSpec[] | undefined): void {
  if (sig && buffers.length !== sig.length) {
    throw new KernelLoadError(`kernel ${name}: ${buffers.length} buffers for ${sig.length} params`);
  }
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i];
    if (!ArrayBuffer.isView(b) || b instanceof DataView) throw new KernelLoadError(`kernel ${name}: buffer ${i} is not a typed array`);
    if (b.buffer.byteLength === 0 && b.length === 0 && sig?.[i] && sig[i]!.size > 0) {
      throw new KernelLoadError(`kernel ${name}: buffer ${i} is empty or detached`);
    }
    if (!sig) continue;
    const p = sig[i]!;
    const want = STORAGE[p.dtype];
    if (want === undefined) throw new KernelLoadError(`kernel ${name}: param ${i} has unknown dtype ${p.dtype}`);
    if (b.constructor.name !== want) {
      throw new KernelLoadError(`kernel ${name}: buffer ${i} is a ${b.constructor.name}, param ${i} (${p.dtype}) needs a ${want}`);
    }
    if (b.length < p.size) throw new KernelLoadError(`kernel ${name}: buffer ${i} has ${b.length} elements, param ${i} needs ${p.size}`);
  }
}
