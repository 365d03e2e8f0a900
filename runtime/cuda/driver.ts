// The CUDA driver API through koffi: libcuda.so.1 opened at run time, each call checked.
//
// Types, as koffi 3 sees them: every pointer is a BigInt. Opaque handles (CUcontext, CUmodule,
// CUfunction, CUstream, CUevent) are `void *`; CUdeviceptr is `uint64_t`. Output parameters
// point into one small block from koffi.alloc (stable memory, outside V8's heap), read back
// with koffi.decode after the call. Host buffers of copies are typed arrays passed as `void *`
// (koffi passes the address of the view's first byte; the copies are synchronous, so the
// memory cannot move or be collected during the call).
//
// kernelParams of cuLaunchKernel is a `void **`: one pointer per kernel parameter, to where
// that parameter's value lies. Each of Kiln's kernel parameters is a CUdeviceptr, so two
// stable blocks hold them: `values` (the 8-byte device pointers, rewritten per launch) and
// `slots` (slot i = address of values[i], written once). The driver copies the values when
// the launch is enqueued, so one pair of blocks serves every launch.
import koffi from 'koffi';
import { CudaError, CudaUnavailableError } from './errors.ts';
import type { CudaDriver, CudaHandle, DevicePtr } from './driver-api.ts';

type Fn = (...args: unknown[]) => number;

// cuda.h: CUjit_option values for the log buffers of cuModuleLoadDataEx.
const CU_JIT_INFO_LOG_BUFFER = 3;
const CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
const CU_JIT_ERROR_LOG_BUFFER = 5;
const CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
const CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
const JIT_LOG_BYTES = 1 << 16;

// Signatures, declared in koffi's C-like syntax.
const SIGNATURES: Readonly<Record<string, string>> = {
  cuGetErrorName: 'int cuGetErrorName(int error, void *pStr)',
  cuGetErrorString: 'int cuGetErrorString(int error, void *pStr)',
  cuInit: 'int cuInit(unsigned int flags)',
  cuDeviceGetCount: 'int cuDeviceGetCount(void *count)',
  cuDeviceGet: 'int cuDeviceGet(void *device, int ordinal)',
  cuDeviceGetName: 'int cuDeviceGetName(void *name, int len, int dev)',
  cuDeviceGetAttribute: 'int cuDeviceGetAttribute(void *pi, int attrib, int dev)',
  cuDevicePrimaryCtxRetain: 'int cuDevicePrimaryCtxRetain(void *pctx, int dev)',
  cuCtxSetCurrent: 'int cuCtxSetCurrent(void *ctx)',
  cuModuleLoadDataEx: 'int cuModuleLoadDataEx(void *module, void *image, unsigned int numOptions, void *options, void *optionValues)',
  cuModuleGetFunction: 'int cuModuleGetFunction(void *hfunc, void *hmod, const char *name)',
  cuFuncSetAttribute: 'int cuFuncSetAttribute(void *hfunc, int attrib, int value)',
  cuMemAlloc_v2: 'int cuMemAlloc_v2(void *dptr, size_t bytesize)',
  cuMemFree_v2: 'int cuMemFree_v2(uint64_t dptr)',
  cuMemcpyHtoD_v2: 'int cuMemcpyHtoD_v2(uint64_t dst, void *src, size_t bytes)',
  cuMemcpyDtoH_v2: 'int cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)',
  cuMemcpyDtoD_v2: 'int cuMemcpyDtoD_v2(uint64_t dst, uint64_t src, size_t bytes)',
  cuMemsetD8_v2: 'int cuMemsetD8_v2(uint64_t dst, uint8_t value, size_t n)',
  cuStreamCreate: 'int cuStreamCreate(void *phStream, unsigned int flags)',
  cuStreamSynchronize: 'int cuStreamSynchronize(void *hStream)',
  cuLaunchKernel:
    'int cuLaunchKernel(void *f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, ' +
    'unsigned int sharedMemBytes, void *hStream, void *kernelParams, void *extra)',
  cuEventCreate: 'int cuEventCreate(void *phEvent, unsigned int flags)',
  cuEventRecord: 'int cuEventRecord(void *hEvent, void *hStream)',
  cuEventSynchronize: 'int cuEventSynchronize(void *hEvent)',
};

/** Folders where drivers are usually installed, tried after the loader's own search. */
const USUAL_FOLDERS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/local/nvidia/lib64', '/usr/lib/wsl/lib', '/usr/lib/aarch64-linux-gnu'];

/** Candidate driver libraries: KILN_LIBCUDA if set, else the loader's search, then usual folders. */
export function libcudaCandidates(): string[] {
  const env = process.env.KILN_LIBCUDA;
  if (env) return [env];
  return ['libcuda.so.1', ...USUAL_FOLDERS.map((d) => `${d}/libcuda.so.1`)];
}

function openLibrary(paths: readonly string[]): { lib: ReturnType<typeof koffi.load>; path: string } {
  const errors: string[] = [];
  for (const p of paths) {
    try {
      return { lib: koffi.load(p), path: p };
    } catch (e) {
      const m = (e as Error).message;
      // "not found" is the common case; other errors (a broken or foreign library) are named.
      if (!/cannot open shared object file: No such file/.test(m)) errors.push(`${p}: ${m}`);
    }
  }
  const where = errors.length ? errors.join('; ') : `not found (tried ${paths.join(', ')})`;
  throw new CudaUnavailableError(`the CUDA driver library could not be loaded: ${where}; is an NVIDIA driver installed?`, errors.length === 0);
}

/** Loads the driver (from `path`, else the usual places). Throws CudaUnavailableError. */
export function loadCudaDriver(path?: string): CudaDriver {
  const { lib, path: source } = openLibrary(path ? [path] : libcudaCandidates());
  const fns: Record<string, Fn> = {};
  for (const [name, sig] of Object.entries(SIGNATURES)) {
    try {
      fns[name] = lib.func(sig) as Fn;
    } catch (e) {
      throw new CudaUnavailableError(`the CUDA driver ${source} lacks ${name}: ${(e as Error).message}`);
    }
  }
  // CUDA 12.8 added cuEventElapsedTime_v2 (same signature); older drivers have only the first.
  for (const name of ['cuEventElapsedTime_v2', 'cuEventElapsedTime']) {
    try {
      fns.cuEventElapsedTime = lib.func(`int ${name}(void *pMilliseconds, void *hStart, void *hEnd)`) as Fn;
      break;
    } catch {
      // try the next name
    }
  }
  if (!fns.cuEventElapsedTime) throw new CudaUnavailableError(`the CUDA driver ${source} lacks cuEventElapsedTime`);
  return new KoffiDriver(source, fns);
}

class KoffiDriver implements CudaDriver {
  /** Scratch for output parameters (stable memory). */
  private readonly out: bigint = koffi.alloc('uint64_t', 4) as bigint;
  private paramCap = 0;
  private paramValues: bigint = 0n;
  private paramSlots: bigint = 0n;
  private paramView = new BigUint64Array(0);

  constructor(
    readonly source: string,
    private readonly fns: Readonly<Record<string, Fn>>,
  ) {}

  private errorText(code: number): { name: string; text: string } {
    const read = (fn: string): string => {
      if (this.fns[fn]!(code, this.out) !== 0) return 'unknown';
      const p = koffi.decode(this.out, 'void *') as bigint | null;
      return p ? koffi.decode.string(p) : 'unknown';
    };
    return { name: read('cuGetErrorName'), text: read('cuGetErrorString') };
  }

  /** Calls driver function `name`; a nonzero CUresult throws CudaError. */
  private call(name: string, args: readonly unknown[], detail?: () => string): void {
    const code = this.fns[name]!(...args);
    if (code !== 0) {
      const { name: en, text } = this.errorText(code);
      throw new CudaError(name, code, en, text, detail?.() ?? '');
    }
  }

  private outInt(): number {
    return koffi.decode.int32(this.out);
  }

  private outPtr(): bigint {
    return BigInt(koffi.decode.uint64(this.out));
  }

  init(): void {
    this.call('cuInit', [0]);
  }

  deviceCount(): number {
    this.call('cuDeviceGetCount', [this.out]);
    return this.outInt();
  }

  device(i: number): number {
    this.call('cuDeviceGet', [this.out, i]);
    return this.outInt();
  }

  deviceName(dev: number): string {
    const buf = Buffer.alloc(256);
    this.call('cuDeviceGetName', [buf, buf.length, dev]);
    const end = buf.indexOf(0);
    return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8');
  }

  deviceAttribute(attr: number, dev: number): number {
    this.call('cuDeviceGetAttribute', [this.out, attr, dev]);
    return this.outInt();
  }

  primaryContext(dev: number): CudaHandle {
    this.call('cuDevicePrimaryCtxRetain', [this.out, dev]);
    const ctx = this.outPtr();
    this.call('cuCtxSetCurrent', [ctx]);
    return ctx;
  }

  memAlloc(bytes: number): DevicePtr {
    this.call('cuMemAlloc_v2', [this.out, bytes], () => `(asked for ${bytes} bytes)`);
    return this.outPtr();
  }

  memFree(ptr: DevicePtr): void {
    this.call('cuMemFree_v2', [ptr]);
  }

  copyHtoD(dst: DevicePtr, src: ArrayBufferView): void {
    if (src.byteLength > 0) this.call('cuMemcpyHtoD_v2', [dst, src, src.byteLength]);
  }

  copyDtoH(dst: ArrayBufferView, src: DevicePtr): void {
    if (dst.byteLength > 0) this.call('cuMemcpyDtoH_v2', [dst, src, dst.byteLength]);
  }

  copyDtoD(dst: DevicePtr, src: DevicePtr, bytes: number): void {
    if (bytes > 0) this.call('cuMemcpyDtoD_v2', [dst, src, bytes]);
  }

  memsetD8(dst: DevicePtr, value: number, bytes: number): void {
    if (bytes > 0) this.call('cuMemsetD8_v2', [dst, value, bytes]);
  }

  loadModule(ptxOrCubin: string | Uint8Array): CudaHandle {
    // PTX is a C string; a cubin is an ELF image the driver sizes from its headers.
    const ptx = typeof ptxOrCubin === 'string';
    const image = ptx ? Buffer.from(`${ptxOrCubin}\0`, 'utf8') : Buffer.from(ptxOrCubin.buffer, ptxOrCubin.byteOffset, ptxOrCubin.byteLength);
    const infoLog = koffi.alloc('char', JIT_LOG_BYTES) as bigint;
    const errorLog = koffi.alloc('char', JIT_LOG_BYTES) as bigint;
    const options = new Int32Array([CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES]);
    // optionValues is a void*[]: pointers for the buffers, sizes cast to pointers; the driver
    // writes the sizes used back, so the array is writable memory.
    const values = new BigUint64Array([infoLog, BigInt(JIT_LOG_BYTES), errorLog, BigInt(JIT_LOG_BYTES)]);
    try {
      koffi.encode(infoLog, 'char', 0);
      koffi.encode(errorLog, 'char', 0);
      this.call('cuModuleLoadDataEx', [this.out, image, options.length, options, values], () => {
        const log = koffi.decode.string(errorLog).trim();
        const what = ptx ? 'PTX JIT' : 'cubin loader';
        return log ? `${what} log:\n${log}` : `(the ${what} wrote no log)`;
      });
      return this.outPtr();
    } finally {
      koffi.free(infoLog);
      koffi.free(errorLog);
    }
  }

  getFunction(module: CudaHandle, name: string): CudaHandle {
    this.call('cuModuleGetFunction', [this.out, module, name], () => `(kernel '${name}')`);
    return this.outPtr();
  }

  setMaxDynamicShared(fn: CudaHandle, bytes: number): void {
    this.call('cuFuncSetAttribute', [fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes]);
  }

  private ensureParams(n: number): void {
    if (n <= this.paramCap) return;
    const cap = Math.max(64, 2 ** Math.ceil(Math.log2(n)));
    if (this.paramCap > 0) {
      koffi.free(this.paramValues);
      koffi.free(this.paramSlots);
    }
    this.paramValues = koffi.alloc('uint64_t', cap) as bigint;
    this.paramSlots = koffi.alloc('uint64_t', cap) as bigint;
    const slots = new BigUint64Array(koffi.view(this.paramSlots, cap * 8));
    for (let i = 0; i < cap; i++) slots[i] = this.paramValues + BigInt(8 * i);
    this.paramView = new BigUint64Array(koffi.view(this.paramValues, cap * 8));
    this.paramCap = cap;
  }

  launch(
    fn: CudaHandle,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    sharedBytes: number,
    stream: CudaHandle,
    params: readonly DevicePtr[],
  ): void {
    this.ensureParams(params.length);
    for (let i = 0; i < params.length; i++) this.paramView[i] = params[i]!;
    this.call('cuLaunchKernel', [fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes, stream, this.paramSlots, null], () =>
      `(grid ${grid.join('x')}, block ${block.join('x')}, ${sharedBytes} bytes of shared memory, ${params.length} params)`,
    );
  }

  streamCreate(): CudaHandle {
    this.call('cuStreamCreate', [this.out, 0]);
    return this.outPtr();
  }

  streamSynchronize(stream: CudaHandle): void {
    this.call('cuStreamSynchronize', [stream]);
  }

  eventCreate(): CudaHandle {
    this.call('cuEventCreate', [this.out, 0]);
    return this.outPtr();
  }

  eventRecord(event: CudaHandle, stream: CudaHandle): void {
    this.call('cuEventRecord', [event, stream]);
  }

  eventSynchronize(event: CudaHandle): void {
    this.call('cuEventSynchronize', [event]);
  }

  eventElapsedMs(start: CudaHandle, end: CudaHandle): number {
    this.call('cuEventElapsedTime', [this.out, start, end]);
    return koffi.decode.float(this.out);
  }
}
