// The koffi bindings of the CUDA driver, checked without a GPU against a stand-in libcuda
// built here from C (host memory for device memory, one real "kernel" that reads its params
// through kernelParams as the driver does), plus the no-driver path: a clear, catchable
// CudaUnavailableError and the fallback of the default backend to the CPU.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import koffi from 'koffi';
import { KilnError } from '../../compiler/ir/errors.ts';
import { cudaStatus, CudaContext, CudaError, CudaUnavailableError, DeviceAttr, loadCudaDriver, useCudaDriver, FakeCudaDriver } from '../../runtime/cuda/index.ts';

const FAKE_LIBCUDA = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef int CUresult;
typedef uint64_t CUdeviceptr;
static int inited;
static unsigned last[7];
static int last_attr[2];
int fake_last(int i) { return (int)last[i]; }
int fake_attr(int i) { return last_attr[i]; }
static const char *names[] = {"CUDA_SUCCESS", "CUDA_ERROR_INVALID_VALUE", "CUDA_ERROR_OUT_OF_MEMORY", "CUDA_ERROR_NOT_INITIALIZED"};
CUresult cuGetErrorName(CUresult e, const char **s) {
  if (e >= 0 && e <= 3) { *s = names[e]; return 0; }
  if (e == 218) { *s = "CUDA_ERROR_INVALID_PTX"; return 0; }
  if (e == 500) { *s = "CUDA_ERROR_NOT_FOUND"; return 0; }
  return 1;
}
CUresult cuGetErrorString(CUresult e, const char **s) {
  if (e == 1) { *s = "invalid argument"; return 0; }
  if (e == 218) { *s = "a PTX JIT compilation failed"; return 0; }
  if (e == 500) { *s = "named symbol not found"; return 0; }
  *s = "some error"; return 0;
}
CUresult cuInit(unsigned flags) { if (flags) return 1; inited = 1; return 0; }
CUresult cuDeviceGetCount(int *n) { if (!inited) return 3; *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { if (i != 0) return 1; *d = 0; return 0; }
CUresult cuDeviceGetName(char *name, int len, int dev) { snprintf(name, len, "Fake GPU %d", dev); return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int dev) {
  *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 132 : attr == 97 ? 232448 : 0; return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) { *ctx = (void *)0x1234; return 0; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx == (void *)0x1234 ? 0 : 1; }
CUresult cuModuleLoadDataEx(void **mod, const char *image, unsigned n, int *opts, void **vals) {
  char *err = 0; size_t size = 0; int sizeAt = -1;
  for (unsigned i = 0; i < n; i++) {
    if (opts[i] == 5) err = (char *)vals[i];
    if (opts[i] == 6) { size = (size_t)vals[i]; sizeAt = (int)i; }
  }
  if (strstr(image, "bad ptx")) {
    if (err && size) { snprintf(err, size, "ptxas application ptx input, line 3; error : syntax error"); vals[sizeAt] = (void *)strlen(err); }
    return 218;
  }
  if (!strstr(image, ".entry vadd") || image[strlen(image) - 1] != '}') return 1;
  *mod = (void *)0x5678; return 0;
}
CUresult cuModuleGetFunction(void **f, void *mod, const char *name) {
  if (mod != (void *)0x5678) return 1;
  if (!strcmp(name, "vadd")) { *f = (void *)0x9abc; return 0; }
  if (!strcmp(name, "ptrsum")) { *f = (void *)0x9abd; return 0; }
  return 500;
}
CUresult cuFuncSetAttribute(void *f, int attr, int v) { last_attr[0] = attr; last_attr[1] = v; return f ? 0 : 1; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) { if (!n) return 1; *p = (CUdeviceptr)(uintptr_t)malloc(n); return 0; }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) { memcpy((void *)(uintptr_t)d, s, n); return 0; }
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) { memcpy(d, (void *)(uintptr_t)s, n); return 0; }
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { memmove((void *)(uintptr_t)d, (void *)(uintptr_t)s, n); return 0; }
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { memset((void *)(uintptr_t)d, v, n); return 0; }
CUresult cuStreamCreate(void **s, unsigned flags) { *s = (void *)0x77; return 0; }
CUresult cuStreamSynchronize(void *s) { return s == (void *)0x77 ? 0 : 1; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra) {
  unsigned v[7] = {gx, gy, gz, bx, by, bz, shared};
  memcpy(last, v, sizeof v);
  if (stream != (void *)0x77 || extra) return 1;
  if (f == (void *)0x9abc) {
    /* c[i] = a[i] + b[i] for every thread i of the grid: params hold CUdeviceptr values. */
    float *a = (float *)(uintptr_t)*(CUdeviceptr *)params[0];
    float *b = (float *)(uintptr_t)*(CUdeviceptr *)params[1];
    float *c = (float *)(uintptr_t)*(CUdeviceptr *)params[2];
    for (unsigned i = 0; i < gx * bx; i++) c[i] = a[i] + b[i];
    return 0;
  }
  if (f == (void *)0x9abd) {
    /* gx params; the first points to a uint64 receiving the wrapping sum of all the values. */
    uint64_t s = 0;
    for (unsigned i = 0; i < gx; i++) s += *(CUdeviceptr *)params[i];
    *(uint64_t *)(uintptr_t)*(CUdeviceptr *)params[0] = s;
    return 0;
  }
  return 1;
}
CUresult cuEventCreate(void **e, unsigned flags) { static uintptr_t n = 0x100; *e = (void *)++n; return 0; }
CUresult cuEventRecord(void *e, void *s) { return s == (void *)0x77 ? 0 : 1; }
CUresult cuEventSynchronize(void *e) { return 0; }
CUresult cuEventElapsedTime_v2(float *ms, void *a, void *b) { *ms = b > a ? 2.5f : -1.0f; return 0; }
`;

function hasGcc(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v gcc'], { stdio: 'ignore' });
    return process.platform === 'linux';
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-fake-libcuda-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => useCudaDriver(undefined));

describe.runIf(hasGcc())('the koffi driver bindings, against a stand-in libcuda', () => {
  const lib = join(dir, 'libcuda-fake.so');
  let lastLaunch: (i: number) => number = () => NaN;
  let lastAttr: (i: number) => number = () => NaN;
  beforeAll(() => {
    writeFileSync(join(dir, 'fake.c'), FAKE_LIBCUDA);
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', lib, join(dir, 'fake.c')]);
    const probe = koffi.load(lib);
    lastLaunch = probe.func('int fake_last(int i)') as (i: number) => number;
    lastAttr = probe.func('int fake_attr(int i)') as (i: number) => number;
  });

  it('starts a context, copies, launches with kernelParams as CUdeviceptr slots, times events', () => {
    const d = loadCudaDriver(lib);
    const ctx = CudaContext.create(d);
    expect(ctx.info).toMatchObject({ name: 'Fake GPU 0', computeCapability: [9, 0], multiprocessors: 132, maxSharedOptin: 232448 });
    expect(d.deviceAttribute(DeviceAttr.computeCapabilityMajor, 0)).toBe(9);
    const n = 100;
    const a = Float32Array.from({ length: n }, (_, i) => i * 0.5);
    const b = Float32Array.from({ length: n }, (_, i) => 3 - i);
    const pa = ctx.upload(a), pb = ctx.upload(b), pc = ctx.memory.alloc(4 * n);
    d.memsetD8(pc, 0, 4 * n);
    const loaded = ctx.load({
      arch: 'sm_90',
      producer: 'llc-14',
      ptx: '.version 8.0\n.visible .entry vadd() {\n}',
      kernels: [{ name: 'vadd', launch: { grid: [4, 1, 1], block: [25, 1, 1], sharedBytes: 64 * 1024 } }],
    });
    expect([lastAttr(0), lastAttr(1)]).toEqual([8, 64 * 1024]); // dynamic shared memory opt-in
    const k = loaded.kernel('vadd');
    d.launch(k.fn, k.launch.grid, k.launch.block, k.launch.sharedBytes, ctx.stream, [pa, pb, pc]);
    expect([0, 1, 2, 3, 4, 5, 6].map(lastLaunch)).toEqual([4, 1, 1, 25, 1, 1, 64 * 1024]);
    expect(Array.from(ctx.download(pc, 'f32', n))).toEqual(Array.from(a, (v, i) => v + b[i]!));
    // A view at an offset copies from that offset; DtoD and memset move the right bytes.
    d.copyHtoD(pc + 8n, new Float32Array([7, 8, 9]).subarray(1));
    d.copyDtoD(pa, pc, 16);
    d.memsetD8(pa + 12n, 0, 4);
    expect(Array.from(ctx.download(pa, 'f32', 4))).toEqual([3, 2.5, 8, 0]);
    const e0 = d.eventCreate(), e1 = d.eventCreate();
    d.eventRecord(e0, ctx.stream);
    d.eventRecord(e1, ctx.stream);
    d.eventSynchronize(e1);
    expect(d.eventElapsedMs(e0, e1)).toBe(2.5);
    for (const p of [pa, pb, pc]) ctx.memory.dealloc(p);
    ctx.memory.release();
  });

  it('passes many parameters (the param blocks grow) with exact 64-bit values', () => {
    const d = loadCudaDriver(lib);
    const ctx = CudaContext.create(d);
    const fn = ctx.load({ arch: 'sm_90', producer: 'llc-14', ptx: '.entry vadd {}', kernels: [{ name: 'ptrsum', launch: { grid: [1, 1, 1], block: [1, 1, 1], sharedBytes: 0 } }] }).kernel('ptrsum').fn;
    const out = ctx.memory.alloc(8);
    for (const count of [3, 64, 65, 200]) {
      const params = [out, ...Array.from({ length: count - 1 }, (_, i) => 0xfedcba9876543210n + BigInt(i) * 0x100000001n)];
      d.launch(fn, [count, 1, 1], [1, 1, 1], 0, ctx.stream, params);
      const want = params.reduce((s, p) => (s + p) & 0xffffffffffffffffn, 0n);
      const got = new BigUint64Array(1);
      d.copyDtoH(got, out);
      expect(got[0]).toBe(want);
    }
  });

  it('every failure is a CudaError naming the call, the error and CUDA\'s text; a JIT failure shows the log', () => {
    const d = loadCudaDriver(lib);
    d.init();
    expect(() => d.memAlloc(0)).toThrow(CudaError);
    expect(() => d.memAlloc(0)).toThrow('cuMemAlloc_v2 failed: CUDA_ERROR_INVALID_VALUE (1): invalid argument');
    let err: unknown;
    try {
      d.loadModule('// bad ptx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CudaError);
    expect(err).toBeInstanceOf(KilnError);
    expect((err as CudaError).errorName).toBe('CUDA_ERROR_INVALID_PTX');
    expect((err as Error).message).toMatch(/cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX \(218\): a PTX JIT compilation failed\nPTX JIT log:\nptxas application ptx input, line 3; error : syntax error/);
    const mod = d.loadModule('.entry vadd {}');
    expect(() => d.getFunction(mod, 'nope')).toThrow(/cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND \(500\): named symbol not found\n\(kernel 'nope'\)/);
  });
});

describe('without a CUDA driver', () => {
  it('loading fails with a clear, catchable CudaUnavailableError', () => {
    let err: unknown;
    try {
      loadCudaDriver(join(dir, 'no-such-libcuda.so.1'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CudaUnavailableError);
    expect(err).toBeInstanceOf(KilnError);
    expect((err as Error).message).toMatch(/CUDA driver library could not be loaded: not found \(tried .*no-such-libcuda\.so\.1\); is an NVIDIA driver installed\?/);
    expect((err as CudaUnavailableError).missing).toBe(true);
  });

  it('cudaStatus() says why, and a driver without GPUs is unavailable too', () => {
    const saved = process.env.KILN_LIBCUDA;
    process.env.KILN_LIBCUDA = join(dir, 'no-such-libcuda.so.1');
    try {
      useCudaDriver(undefined);
      const s = cudaStatus();
      expect(s.available).toBe(false);
      if (!s.available) expect(s.reason).toMatch(/could not be loaded/);
    } finally {
      if (saved === undefined) delete process.env.KILN_LIBCUDA;
      else process.env.KILN_LIBCUDA = saved;
    }
    useCudaDriver(new FakeCudaDriver({}, { devices: 0 }));
    const s = cudaStatus();
    expect(s.available).toBe(false);
    if (!s.available) {
      expect(s.reason).toMatch(/did not start: cuInit failed: CUDA_ERROR_NO_DEVICE/);
      expect(s.missing).toBe(false);
    }
  });

  it('the default backend falls back to the next one present and says why once', () => {
    const script = "import * as k from './index.ts'; console.log('default=' + k.defaultDevice() + ' devices=' + k.devices().join(','));";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, KILN_BACKEND: 'cuda', KILN_LIBCUDA: join(dir, 'no-such-libcuda.so.1') },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^default=(vulkan|cpu|interp):0 devices=([a-z]+:0,)*interp:0$/m);
    expect(run.stdout).not.toMatch(/cuda/);
    const notes = run.stderr.split('\n').filter((l) => l.startsWith('kiln:'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^kiln: KILN_BACKEND=cuda is not available \(the CUDA driver library could not be loaded: .*\); using (vulkan|cpu|interp)$/);
  }, 60_000);
});
