// k.data: the data hub (download + SHA-1 checks, with a fake fetch: no network), host arrays,
// DataLoader, synthetic data and k-fold splits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as k from '../../index.ts';
import * as data from '../../stdlib/data/index.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const D2L = path.resolve(REPO, '..', 'shared', 'data', 'd2l');
const haveD2l = fs.existsSync(D2L);
if (!haveD2l) console.warn(`skipping data-hub tests that read real files: ${D2L} is absent`);

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-data-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fetch that never touches the network: serves `body` and counts calls. */
function fakeFetch(body: Uint8Array | null) {
  const calls: string[] = [];
  const f = async (url: string) => {
    calls.push(url);
    if (body === null) return new Response('gone', { status: 404, statusText: 'Not Found' });
    return new Response(body);
  };
  return Object.assign(f, { calls });
}

describe('data hub', () => {
  test('the table has the book URLs and hashes', () => {
    expect(data.DATA_HUB['kaggle_house_pred_train.csv']!.url).toBe('http://d2l-data.s3-accelerate.amazonaws.com/kaggle_house_pred_train.csv');
    expect(data.DATA_HUB['timemachine.txt']!.sha1).toBe('090b5e7e70c295757f55df93cb0a180b9691891a');
    expect(data.DATA_HUB['airfoil_self_noise.dat']!.sha1).toBe('76e5be1548fd8222e5074cf0faae75edff8cf93f');
    expect(data.DATA_HUB['fra-eng.zip']!.sha1).toBe('94646ad1522d915e7b0f9296181140edcf86a4f5');
  });

  test('the cache folder: option, then KILN_DATA_DIR, then ~/.cache/kiln/data', () => {
    const saved = process.env.KILN_DATA_DIR;
    try {
      process.env.KILN_DATA_DIR = tmp;
      expect(data.dataDir()).toBe(tmp);
      expect(data.dataDir('/x/y')).toBe('/x/y');
      delete process.env.KILN_DATA_DIR;
      expect(data.dataDir()).toBe(path.join(os.homedir(), '.cache', 'kiln', 'data'));
    } finally {
      if (saved === undefined) delete process.env.KILN_DATA_DIR;
      else process.env.KILN_DATA_DIR = saved;
    }
  });

  test('unknown names are an error listing the known ones', async () => {
    await expect(data.download('nope.csv', { cacheDir: tmp })).rejects.toThrow(/no data set named 'nope.csv'.*timemachine.txt/);
  });

  test.skipIf(!haveD2l)('cached files verify against their SHA-1 (every hub file in the shared folder)', async () => {
    for (const name of Object.keys(data.DATA_HUB)) {
      const f = fakeFetch(null);
      const p = await data.download(name, { cacheDir: D2L, fetch: f });
      expect(p).toBe(path.join(D2L, name));
      expect(f.calls).toEqual([]);
    }
  });

  test('a cached file with a wrong hash is an error naming the file and both hashes', async () => {
    fs.writeFileSync(path.join(tmp, 'timemachine.txt'), 'not the time machine\n');
    const f = fakeFetch(null);
    const err = await data.download('timemachine.txt', { cacheDir: tmp, fetch: f }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(data.ChecksumError);
    const msg = (err as Error).message;
    expect(msg).toContain(path.join(tmp, 'timemachine.txt'));
    expect(msg).toContain('expected 090b5e7e70c295757f55df93cb0a180b9691891a');
    expect(msg).toContain(`got ${data.sha1Hex(Buffer.from('not the time machine\n'))}`);
    expect(msg).toMatch(/truncated: 21 of 178979 bytes/);
    expect(f.calls).toEqual([]); // never re-downloads behind the user's back
  });

  test.skipIf(!haveD2l)('a truncated cached copy is reported as truncated', async () => {
    const full = fs.readFileSync(path.join(D2L, 'kaggle_house_pred_test.csv'));
    fs.writeFileSync(path.join(tmp, 'kaggle_house_pred_test.csv'), full.subarray(0, 1000));
    await expect(data.download('kaggle_house_pred_test.csv', { cacheDir: tmp, offline: true })).rejects.toThrow(
      /kaggle_house_pred_test\.csv: SHA-1 mismatch: expected fa19780a7b011d9b009e8bff8e99922a8ee2eb90, got [0-9a-f]{40} \(truncated: 1000 of 451405 bytes/,
    );
  });

  test.skipIf(!haveD2l)('a missing file is fetched to a temp file, verified and renamed into the cache', async () => {
    const body = fs.readFileSync(path.join(D2L, 'airfoil_self_noise.dat'));
    const f = fakeFetch(body);
    const cache = path.join(tmp, 'nested', 'cache');
    const p = await data.download('airfoil_self_noise.dat', { cacheDir: cache, fetch: f });
    expect(f.calls).toEqual(['http://d2l-data.s3-accelerate.amazonaws.com/airfoil_self_noise.dat']);
    expect(fs.readFileSync(p).equals(body)).toBe(true);
    expect(fs.readdirSync(cache)).toEqual(['airfoil_self_noise.dat']); // no temp file left
    // A second call uses the cache.
    await data.download('airfoil_self_noise.dat', { cacheDir: cache, fetch: f });
    expect(f.calls.length).toBe(1);
  });

  test('a download with the wrong content is rejected and leaves nothing behind', async () => {
    const f = fakeFetch(new TextEncoder().encode('<html>error page</html>'));
    await expect(data.download('timemachine.txt', { cacheDir: tmp, fetch: f })).rejects.toThrow(
      /timemachine\.txt.*SHA-1 mismatch: expected 090b5e7e70c295757f55df93cb0a180b9691891a/,
    );
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('HTTP errors and offline mode are clear errors', async () => {
    await expect(data.download('timemachine.txt', { cacheDir: tmp, fetch: fakeFetch(null) })).rejects.toThrow(/fetching .*timemachine\.txt failed: HTTP 404/);
    await expect(data.download('timemachine.txt', { cacheDir: tmp, offline: true })).rejects.toThrow(/not in the cache and downloads are off/);
  });

  test.skipIf(!haveD2l)('time machine and airfoil readers', async () => {
    const text = await data.readTimeMachine({ cacheDir: D2L, offline: true });
    expect(text.split('\n').length).toBeGreaterThan(3000);
    const { x, y } = await data.loadAirfoil({ cacheDir: D2L, offline: true });
    expect(x.shape).toEqual([1500, 5]);
    expect(y.shape).toEqual([1500]);
  });
});

describe('HostArray', () => {
  test('rows are views, gather copies, concat joins', () => {
    const a = new data.HostArray(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]);
    const r = a.rows(1, 3);
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(r.data.buffer).toBe(a.data.buffer);
    const g = a.gather([3, 0]);
    expect(Array.from(g.data)).toEqual([9, 10, 11, 0, 1, 2]);
    expect(data.HostArray.concat([a.rows(0, 1), a.rows(3, 4)]).shape).toEqual([2, 3]);
    expect(a.toTensor()).toBeAllclose(k.reshape(k.arange(12), [4, 3]));
    expect(() => new data.HostArray(new Float32Array(5), [2, 3])).toThrow(/5 values do not fill shape \[2, 3\]/);
    expect(() => a.gather([4])).toThrow(/row 4 out of range/);
  });
});

describe('DataLoader', () => {
  const n = 10;
  const x = new data.HostArray(Float32Array.from({ length: n * 2 }, (_, i) => i), [n, 2]);
  const y = new data.HostArray(Int32Array.from({ length: n }, (_, i) => i), [n], 'i32');

  test('batch sizes, with and without dropLast', () => {
    const l = new data.DataLoader({ x, y }, { batchSize: 4 });
    expect(l.length).toBe(3);
    const batches = [...l];
    expect(batches.map(([xb, yb]) => [xb.shape, yb.shape])).toEqual([
      [[4, 2], [4]],
      [[4, 2], [4]],
      [[2, 2], [2]],
    ]);
    expect(batches[2]![0].dtype).toBe('f32');
    expect(batches[2]![1].dtype).toBe('i32');
    expect(batches[0]![0]).toBeAllclose([[0, 1], [2, 3], [4, 5], [6, 7]]);
    const d = new data.DataLoader({ x, y }, { batchSize: 4, dropLast: true });
    expect(d.length).toBe(2);
    expect([...d].map(([, yb]) => yb.shape[0])).toEqual([4, 4]);
  });

  test('Tensors are accepted as well as host arrays', () => {
    const l = new data.DataLoader({ x: k.ones([5, 3]), y: k.arange(5) }, { batchSize: 2 });
    expect([...l].map(([xb]) => xb.shape)).toEqual([[2, 3], [2, 3], [1, 3]]);
  });

  test('shuffling: every example once per epoch, rows stay paired, deterministic per key and epoch', () => {
    const mk = (seed: number) => new data.DataLoader({ x, y }, { batchSize: 3, shuffle: true, key: k.random.key(seed) });
    const epochLabels = (l: data.DataLoader, e: number) => [...l.epoch(e)].flatMap(([xb, yb]) => {
      const xs = xb.toArray() as number[][];
      const ys = yb.toArray() as number[];
      ys.forEach((v, i) => expect(xs[i]).toEqual([2 * v, 2 * v + 1]));
      return ys;
    });
    const a = mk(0), b = mk(0), c = mk(1);
    const e0 = epochLabels(a, 0), e1 = epochLabels(a, 1);
    expect([...e0].sort((p, q) => p - q)).toEqual([...Array(n).keys()]);
    expect([...e1].sort((p, q) => p - q)).toEqual([...Array(n).keys()]);
    expect(e0).not.toEqual(e1);
    expect(epochLabels(b, 0)).toEqual(e0);
    expect(epochLabels(c, 0)).not.toEqual(e0);
    // Plain iteration walks epochs 0, 1, ...
    const it0 = [...b].flatMap(([, yb]) => yb.toArray() as number[]);
    const it1 = [...b].flatMap(([, yb]) => yb.toArray() as number[]);
    expect(it0).toEqual(e0);
    expect(it1).toEqual(e1);
    // The order is random.permutation of a key folded with the epoch.
    expect(Array.from(a.order(1))).toEqual(Array.from(k.random.permutation(k.random.foldIn(k.random.key(0), 1), n).data()));
  });

  test('transforms apply to host batches', () => {
    const l = new data.DataLoader({ x, y }, { batchSize: 5, transform: (xb) => xb.reshape([xb.length, 1, 2]), targetTransform: (yb) => yb.reshape([yb.length, 1]) });
    const [xb, yb] = [...l][0]!;
    expect(xb.shape).toEqual([5, 1, 2]);
    expect(yb.shape).toEqual([5, 1]);
  });

  test('argument errors', () => {
    expect(() => new data.DataLoader({ x, y: y.rows(0, 9) }, { batchSize: 2 })).toThrow(/x has 10 examples .* but y has 9/);
    expect(() => new data.DataLoader({ x, y }, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new data.DataLoader({ x, y }, { batchSize: 2, shuffle: true })).toThrow(/shuffle needs an explicit random key/);
  });
});

test('syntheticData follows y = Xw + b + small noise', () => {
  const w = [2, -3.4], b = 4.2;
  const { x, y } = data.syntheticData(w, b, 1000, k.random.key(42));
  expect(x.shape).toEqual([1000, 2]);
  expect(y.shape).toEqual([1000, 1]);
  const resid = y.sub(k.matmul(x, k.array([[2], [-3.4]])).add(b));
  expect(Math.abs(k.mean(resid).item())).toBeLessThan(0.002);
  expect(k.std(resid).item()).toBeGreaterThan(0.008);
  expect(k.std(resid).item()).toBeLessThan(0.012);
  // The same key gives the same data.
  expect(data.syntheticData(w, b, 1000, k.random.key(42)).x).toBeAllclose(x);
});

describe('kFold', () => {
  const x = new data.HostArray(Float32Array.from({ length: 22 }, (_, i) => i), [11, 2]);
  const y = new data.HostArray(Float32Array.from({ length: 11 }, (_, i) => i), [11]);

  test('folds partition the first k * floor(n / k) rows', () => {
    const folds = data.kFoldSplits(5, x, y);
    expect(folds.length).toBe(5);
    const valid = folds.flatMap((f) => Array.from(f.yValid.data));
    expect(valid).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const [i, f] of folds.entries()) {
      expect(f.xTrain.shape).toEqual([8, 2]);
      expect(f.xValid.shape).toEqual([2, 2]);
      const tr = Array.from(f.yTrain.data);
      expect(tr.length).toBe(8);
      expect(tr.some((v) => Array.from(f.yValid.data).includes(v))).toBe(false);
      expect([...tr, ...Array.from(f.yValid.data)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(Array.from(f.yValid.data)).toEqual([2 * i, 2 * i + 1]);
      expect(Array.from(f.xValid.data)).toEqual([4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);
    }
  });

  test('Tensors in, Tensors out', () => {
    const f = data.kFold(2, 1, k.reshape(k.arange(8), [4, 2]), k.arange(4));
    expect(f.xValid).toBeInstanceOf(k.Tensor);
    expect(f.yValid).toBeAllclose([2, 3]);
    expect(f.yTrain).toBeAllclose([0, 1]);
  });

  test('argument errors', () => {
    expect(() => data.kFold(5, 5, x, y)).toThrow(/fold 5 is not in 0..4/);
    expect(() => data.kFold(1, 0, x, y)).toThrow(/k must be an integer >= 2/);
    expect(() => data.kFold(20, 0, x, y)).toThrow(/too few for 20 folds/);
  });
});
