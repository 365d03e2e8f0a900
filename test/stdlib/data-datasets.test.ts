// k.data on real data: Fashion-MNIST from Debian's dataset-fashion-mnist folder and the
// Kaggle house prices from the shared d2l folder (no network; skipped when absent).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as k from '../../index.ts';
import * as data from '../../stdlib/data/index.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const D2L = path.resolve(REPO, '..', 'shared', 'data', 'd2l');
const FMNIST = process.env.KILN_FASHION_MNIST_DIR || data.DEFAULT_FASHION_MNIST_DIR;
const haveD2l = fs.existsSync(path.join(D2L, 'kaggle_house_pred_train.csv'));
const haveFmnist = fs.existsSync(path.join(FMNIST, 'train-images-idx3-ubyte.gz'));
if (!haveD2l) console.warn(`skipping house-price tests: ${D2L} is absent`);
if (!haveFmnist) console.warn(`skipping Fashion-MNIST tests: ${FMNIST} is absent (apt install dataset-fashion-mnist, or set KILN_FASHION_MNIST_DIR)`);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-datasets-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('IDX parsing', () => {
  const idx = (dims: number[], body: number[], magic = [0, 0, 8, dims.length]) => {
    const b = Buffer.alloc(4 + 4 * dims.length + body.length);
    b.set(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    b.set(body, 4 + 4 * dims.length);
    return new Uint8Array(b);
  };

  test('header and data', () => {
    const r = data.parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(r.dims).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('bad magic, unsupported types, truncated and trailing data are clear errors', () => {
    expect(() => data.parseIdx(idx([2], [1, 2], [1, 2, 3, 4]), 'f.idx')).toThrow(/f\.idx: not an IDX file: bad magic number 0x01020304/);
    expect(() => data.parseIdx(idx([2], [1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0x0d, 1]), 'f.idx')).toThrow(/element type float is not supported/);
    expect(() => data.parseIdx(idx([2, 3], [1, 2, 3]), 'f.idx')).toThrow(/f\.idx: truncated: \[2, 3\] needs 6 data bytes, the file has 3/);
    expect(() => data.parseIdx(idx([2], [1, 2, 3]), 'f.idx')).toThrow(/trailing data/);
    expect(() => data.parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'f.idx')).toThrow(/truncated IDX header/);
    expect(() => data.parseIdx(new Uint8Array([0, 0]), 'f.idx')).toThrow(/too short/);
  });
});

describe.skipIf(!haveFmnist)('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  let fm: data.FashionMnist;
  beforeAll(() => {
    fm = data.loadFashionMnist({ root: FMNIST });
  });

  test('sizes, dtypes, labels and pixel range', () => {
    expect(fm.train.images.shape).toEqual([60000, 1, 28, 28]);
    expect(fm.train.images.dtype).toBe('f32');
    expect(fm.train.labels.shape).toEqual([60000]);
    expect(fm.train.labels.dtype).toBe('i32');
    expect(fm.test.images.shape).toEqual([10000, 1, 28, 28]);
    expect(fm.test.labels.shape).toEqual([10000]);
    expect(fm.train.labels.data[0]).toBe(9);
    expect(fm.textLabels([fm.train.labels.data[0]!])).toEqual(['ankle boot']);
    const counts = new Array(10).fill(0);
    for (const l of fm.train.labels.data) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    let lo = Infinity, hi = -Infinity;
    for (const v of fm.test.images.data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // Every value is a multiple of 1/255 (ToTensor's scaling).
    expect(Math.abs(fm.train.images.data[300]! * 255 - Math.round(fm.train.images.data[300]! * 255))).toBeLessThan(1e-4);
  });

  test('text labels', () => {
    expect(data.textLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual(['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']);
    expect(data.textLabels(k.array([9, 0], { dtype: 'i32' }))).toEqual(['ankle boot', 't-shirt']);
    expect(() => data.textLabels([10])).toThrow(/not a Fashion-MNIST class/);
  });

  test('loaders give the book batches; resize applies per batch', () => {
    const test = fm.testLoader(256);
    expect(test.length).toBe(40);
    const [x, y] = test[Symbol.iterator]().next().value!;
    expect(x.shape).toEqual([256, 1, 28, 28]);
    expect(y.shape).toEqual([256]);
    const train = fm.trainLoader(256, { key: k.random.key(0) });
    expect(train.shuffle).toBe(true);
    expect(train.length).toBe(235);
    const big = new data.FashionMnist(fm.train, fm.test, [64, 64]);
    const [xb] = big.testLoader(8)[Symbol.iterator]().next().value!;
    expect(xb.shape).toEqual([8, 1, 64, 64]);
    const v = xb.data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    // Upsampling keeps the mean brightness of each image close.
    const m28 = k.mean(fm.test.images.rows(0, 8).toTensor()).item();
    expect(Math.abs(k.mean(xb).item() - m28)).toBeLessThan(0.01);
  });

  test('a truncated gzip file is a clear error naming it', () => {
    const dir = path.join(tmp, 'truncated');
    fs.mkdirSync(dir);
    for (const f of fs.readdirSync(FMNIST).filter((n) => n.startsWith('t10k'))) fs.copyFileSync(path.join(FMNIST, f), path.join(dir, f));
    const gz = path.join(dir, 't10k-images-idx3-ubyte.gz');
    const full = fs.readFileSync(gz);
    fs.writeFileSync(gz, full.subarray(0, full.length >> 1));
    expect(() => data.loadFashionMnist({ root: dir, splits: ['test'] })).toThrow(/t10k-images-idx3-ubyte\.gz: truncated or corrupt gzip data/);
    // A well-formed gzip of a truncated IDX file: the IDX check names the shortfall.
    const idx = zlib.gunzipSync(full);
    fs.writeFileSync(gz, zlib.gzipSync(idx.subarray(0, 1000)));
    expect(() => data.loadFashionMnist({ root: dir, splits: ['test'] })).toThrow(/t10k-images-idx3-ubyte\.gz: truncated: \[10000, 28, 28\] needs 7840000 data bytes, the file has 984/);
    // Same size, different bytes: the SHA-1 of the decompressed data catches it.
    const corrupt = Buffer.from(idx);
    corrupt[5000] ^= 0xff;
    fs.writeFileSync(gz, zlib.gzipSync(corrupt));
    expect(() => data.loadFashionMnist({ root: dir, splits: ['test'] })).toThrow(/SHA-1 mismatch: expected 880056926db704f9f713097915f99da346f5b1d1/);
    expect(data.loadFashionMnist({ root: dir, splits: ['test'], verify: false }).test.images.shape).toEqual([10000, 1, 28, 28]);
  });

  test('a missing folder explains where the data comes from', () => {
    expect(() => data.loadFashionMnist({ root: path.join(tmp, 'nowhere') })).toThrow(/dataset-fashion-mnist.*KILN_FASHION_MNIST_DIR/);
  });
});

test('resizeImages: identity, constant images and the PIL bilinear kernel', () => {
  const img = new data.HostArray(Float32Array.from([0, 1, 1, 0]), [1, 1, 2, 2]);
  expect(data.resizeImages(img, [2, 2])).toBe(img);
  const flat = new data.HostArray(new Float32Array(16).fill(100 / 255), [1, 1, 4, 4]);
  const r = data.resizeImages(flat, [7, 3]);
  expect(r.shape).toEqual([1, 1, 7, 3]);
  for (const v of r.data) expect(v).toBeCloseTo(100 / 255, 6);
  // 1-D upsampling 2 -> 4 of [0, 255]: centres at 0.25, 0.75 of a pixel -> 0, 64, 191, 255 (PIL).
  const row = data.resizeImages(new data.HostArray(Float32Array.from([0, 1]), [1, 1, 1, 2]), [1, 4]);
  expect(Array.from(row.data, (v) => Math.round(v * 255))).toEqual([0, 64, 191, 255]);
});

describe.skipIf(!haveD2l)('Kaggle house prices', () => {
  let raw: { train: data.Table; test: data.Table };
  let h: data.HouseData;
  beforeAll(async () => {
    raw = await data.loadHousePrices({ cacheDir: D2L, offline: true });
    h = data.preprocessHouse(raw.train, raw.test);
  });

  test('raw tables', () => {
    expect(raw.train.columns.length).toBe(81);
    expect(raw.train.rows.length).toBe(1460);
    expect(raw.test.columns.length).toBe(80);
    expect(raw.test.rows.length).toBe(1459);
    expect(raw.train.columns.at(-1)).toBe('SalePrice');
  });

  test('shapes and columns as the book (pandas 2: 330 features)', () => {
    expect(h.trainFeatures.shape).toEqual([1460, 330]);
    expect(h.testFeatures.shape).toEqual([1459, 330]);
    expect(h.trainLabels.shape).toEqual([1460, 1]);
    expect(h.columns.length).toBe(330);
    expect(h.numericColumns.length).toBe(36);
    expect(h.columns.slice(0, 3)).toEqual(['MSSubClass', 'LotFrontage', 'LotArea']);
    expect(h.columns).not.toContain('Id');
    expect(h.columns).not.toContain('SalePrice');
    expect(h.columns.filter((c) => c.startsWith('MSZoning_'))).toEqual(['MSZoning_C (all)', 'MSZoning_FV', 'MSZoning_RH', 'MSZoning_RL', 'MSZoning_RM', 'MSZoning_nan']);
    // 'None' is a missing value for pandas 2 (so MasVnrType has no 'None' category).
    expect(h.columns.filter((c) => c.startsWith('MasVnrType_'))).toEqual(['MasVnrType_BrkCmn', 'MasVnrType_BrkFace', 'MasVnrType_Stone', 'MasVnrType_nan']);
    expect(h.trainLabels.data()[0]).toBe(208500);
    expect(h.testIds[0]).toBe(1461);
  });

  test('standardised numeric columns, filled NaN, one-hot rows', () => {
    const all = k.concatenate([h.trainFeatures, h.testFeatures], 0);
    const v = all.data();
    expect(v.some((x) => Number.isNaN(x))).toBe(false);
    const width = h.columns.length, n = 2919;
    const nNum = h.numericColumns.length;
    for (let j = 0; j < nNum; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i * width + j]!;
      expect(Math.abs(s / n)).toBeLessThan(1e-5);
    }
    // LotFrontage has missing values: filled with 0, so its std over all rows is below 1.
    let ss = 0;
    for (let i = 0; i < n; i++) ss += v[i * width + 1]! ** 2;
    expect(Math.sqrt(ss / (n - 1))).toBeLessThan(1);
    // Spot value: the first house's LotArea, standardised over train + test (pandas, ddof = 1).
    expect(v[2]).toBeCloseTo(-0.217841, 4);
    // Each categorical column gives exactly one 1 per row.
    const zoning = h.columns.map((c, j) => [c, j] as const).filter(([c]) => c.startsWith('MSZoning_')).map(([, j]) => j);
    for (let i = 0; i < n; i += 97) expect(zoning.reduce((a, j) => a + v[i * width + j]!, 0)).toBe(1);
    const oneHot = v.filter((_, i) => i % width >= nNum);
    expect(oneHot.every((x) => x === 0 || x === 1)).toBe(true);
  });

  test('k-fold over the features', () => {
    const f = data.kFold(5, 0, h.trainFeatures, h.trainLabels);
    expect(f.xTrain.shape).toEqual([1168, 330]);
    expect(f.xValid.shape).toEqual([292, 330]);
    expect(f.yValid.shape).toEqual([292, 1]);
  });
});
