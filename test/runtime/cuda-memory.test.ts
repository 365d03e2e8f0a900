// The caching allocator and host/device copies, on the fake driver (no GPU needed).
import { describe, expect, it } from 'vitest';
import { CachingAllocator, download, FakeCudaDriver, sizeClass, upload } from '../../runtime/cuda/index.ts';
import { CudaError } from '../../runtime/cuda/errors.ts';

describe('size classes', () => {
  it('round up to at least the request, at most 25% above it past 256 bytes', () => {
    expect(sizeClass(0)).toBe(256);
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(512);
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 257 + (seed % (1 << 26));
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c % 256).toBe(0);
      expect(c).toBeLessThanOrEqual(Math.ceil((n * 1.25) / 256) * 256 + 256);
    }
  });
});

describe('CachingAllocator', () => {
  it('reuses freed blocks of the same class and returns them to the driver on release()', () => {
    const d = new FakeCudaDriver({});
    const m = new CachingAllocator(d);
    const a = m.alloc(1000);
    const b = m.alloc(1000);
    expect(a).not.toBe(b);
    expect(d.allocCalls).toBe(2);
    m.dealloc(a);
    expect(m.stats().cachedBytes).toBe(sizeClass(1000));
    const c = m.alloc(900); // same class as 1000
    expect(c).toBe(a);
    expect(d.allocCalls).toBe(2);
    const big = m.alloc(1 << 20); // another class: a new block
    expect(d.allocCalls).toBe(3);
    m.dealloc(big);
    m.dealloc(b);
    m.dealloc(c);
    expect(m.stats().liveBytes).toBe(0);
    expect(d.liveBlocks()).toBe(3);
    m.release();
    expect(d.liveBlocks()).toBe(0);
    expect(m.stats().cachedBytes).toBe(0);
  });

  it('rejects freeing an address it did not hand out, or twice', () => {
    const m = new CachingAllocator(new FakeCudaDriver({}));
    const a = m.alloc(64);
    m.dealloc(a);
    expect(() => m.dealloc(a)).toThrow(/not a live block/);
    expect(() => m.dealloc(12345n)).toThrow(/0x3039/);
  });

  it('on out-of-memory, gives the cache back to the driver and retries once', () => {
    const d = new FakeCudaDriver({}, { capacity: 4096 });
    const m = new CachingAllocator(d);
    const a = m.alloc(3000); // class 3072
    m.dealloc(a);
    const b = m.alloc(2000); // class 2048: does not fit beside the cached 3072
    expect(d.liveBlocks()).toBe(1);
    expect(m.sizeOf(b)).toBe(2048);
    expect(() => m.alloc(3000)).toThrow(CudaError);
    try {
      m.alloc(3000);
    } catch (e) {
      expect((e as CudaError).errorName).toBe('CUDA_ERROR_OUT_OF_MEMORY');
      expect((e as Error).message).toMatch(/cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY/);
    }
  });

  it('copies host arrays of every dtype there and back (f16/bf16 as f32, bool as bytes)', () => {
    const d = new FakeCudaDriver({});
    const m = new CachingAllocator(d);
    const cases = [
      ['f32', new Float32Array([1.5, -2, Number.NaN])],
      ['f16', new Float32Array([0.5, 65504])],
      ['bf16', new Float32Array([3, -0])],
      ['f64', new Float64Array([Math.PI, -1e300])],
      ['i32', new Int32Array([-7, 2 ** 31 - 1])],
      ['bool', new Uint8Array([1, 0, 1])],
    ] as const;
    for (const [dtype, host] of cases) {
      const p = upload(d, m, host);
      const back = download(d, p, dtype, host.length);
      expect(back.constructor).toBe(host.constructor);
      expect(Array.from(back)).toEqual(Array.from(host));
    }
  });
});
