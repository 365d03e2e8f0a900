// Fashion-MNIST (chapters 4, 7, 8): the four IDX files (gzip or plain) from a local folder,
// by default the one Debian's package dataset-fashion-mnist installs. The decompressed IDX
// bytes are checked (magic, dimensions, length) and verified against their SHA-1.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Key } from '../../dsl/random.ts';
import { Tensor } from '../../dsl/tensor.ts';
import { ChecksumError, sha1Hex } from './download.ts';
import { DataError, HostArray } from './host.ts';
import { DataLoader } from './loader.ts';

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten classes, in label order (the book's text_labels). */
export const FASHION_MNIST_LABELS = [
  't-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot',
] as const;

/** The files of each split and the SHA-1 of their decompressed IDX bytes (Zalando's release). */
export const FASHION_MNIST_FILES = {
  trainImages: { file: 'train-images-idx3-ubyte', sha1: 'b9bd999c0106c9b8b4b0cefce58c9a6060f27095', dims: [60000, 28, 28] },
  trainLabels: { file: 'train-labels-idx1-ubyte', sha1: '4bccf37222e01638381eaa326bf730337a597267', dims: [60000] },
  testImages: { file: 't10k-images-idx3-ubyte', sha1: '880056926db704f9f713097915f99da346f5b1d1', dims: [10000, 28, 28] },
  testLabels: { file: 't10k-labels-idx1-ubyte', sha1: '958122e8b4b97fd4e71eca2d08ef754ed77c3ad9', dims: [10000] },
} as const;

/** The IDX element types (third byte of the magic number). */
const IDX_TYPES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses the bytes of an IDX file of unsigned bytes; `what` names the file in errors. */
export function parseIdx(bytes: Uint8Array, what = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new DataError(`${what}: not an IDX file: ${bytes.length} bytes, too short for the magic number`);
  const [z0, z1, type, ndim] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (z0 !== 0 || z1 !== 0 || !(type in IDX_TYPES) || ndim < 1) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw new DataError(`${what}: not an IDX file: bad magic number 0x${magic}`);
  }
  if (type !== 0x08) throw new DataError(`${what}: IDX element type ${IDX_TYPES[type]} is not supported (only unsigned bytes)`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new DataError(`${what}: truncated IDX header: ${bytes.length} of ${headerLen} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, d) => a * d, 1);
  const have = bytes.length - headerLen;
  if (have < n) throw new DataError(`${what}: truncated: [${dims.join(', ')}] needs ${n} data bytes, the file has ${have}`);
  if (have > n) throw new DataError(`${what}: corrupt: [${dims.join(', ')}] needs ${n} data bytes, the file has ${have} (trailing data)`);
  return { dims, data: bytes.subarray(headerLen) };
}

/** Reads `<root>/<name>.gz` (or the uncompressed `<root>/<name>`) and returns the IDX bytes. */
function readIdxBytes(root: string, name: string): { bytes: Uint8Array; file: string } {
  const gz = path.join(root, name + '.gz');
  const plain = path.join(root, name);
  if (fs.existsSync(gz)) {
    const raw = fs.readFileSync(gz);
    try {
      return { bytes: zlib.gunzipSync(raw), file: gz };
    } catch (err) {
      throw new DataError(`${gz}: truncated or corrupt gzip data (${(err as Error).message})`);
    }
  }
  if (fs.existsSync(plain)) return { bytes: fs.readFileSync(plain), file: plain };
  throw new DataError(
    `Fashion-MNIST: neither ${gz} nor ${plain} exists; install Debian's dataset-fashion-mnist package, ` +
      `or pass { root } / set KILN_FASHION_MNIST_DIR to a folder holding the four IDX files`,
  );
}

/** One split: images f32 in [0, 1] of shape [n, 1, 28, 28] and labels i32 in 0..9 of shape [n]. */
export interface ImageSplit {
  images: HostArray;
  labels: HostArray;
}

/** Where Fashion-MNIST is read from and how. */
export interface FashionMnistOptions {
  /** The folder of the IDX files (default: $KILN_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist). */
  root?: string;
  /** Resize images to [height, width] in the loaders (bilinear, as the book's transforms.Resize). */
  resize?: number | readonly [number, number];
  /** Check the SHA-1 of the decompressed files (default true). */
  verify?: boolean;
  /** Which splits to read (default both). */
  splits?: readonly ('train' | 'test')[];
}

function loadSplit(root: string, split: 'train' | 'test', verify: boolean): ImageSplit {
  const specs = split === 'train' ? [FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels] : [FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels];
  const [img, lab] = specs.map((s) => {
    const { bytes, file } = readIdxBytes(root, s.file);
    const idx = parseIdx(bytes, file);
    if (idx.dims.length !== s.dims.length || (s.dims.length === 3 && (idx.dims[1] !== 28 || idx.dims[2] !== 28))) {
      throw new DataError(`${file}: expected dimensions [n${s.dims.length === 3 ? ', 28, 28' : ''}], got [${idx.dims.join(', ')}]`);
    }
    if (verify) {
      const h = sha1Hex(bytes);
      if (h !== s.sha1) throw new ChecksumError(file, s.sha1, h, 'of the decompressed IDX bytes; pass verify: false for other IDX data');
    }
    return { idx, file };
  }) as [{ idx: IdxArray; file: string }, { idx: IdxArray; file: string }];
  const n = img.idx.dims[0]!;
  if (lab.idx.dims[0] !== n) throw new DataError(`Fashion-MNIST ${split}: ${n} images (${img.file}) but ${lab.idx.dims[0]} labels (${lab.file})`);
  const px = img.idx.data;
  const images = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) images[i] = px[i]! / 255;
  const labels = new Int32Array(n);
  const lb = lab.idx.data;
  for (let i = 0; i < n; i++) {
    if (lb[i]! > 9) throw new DataError(`${lab.file}: label ${lb[i]} of example ${i} is not a class 0..9`);
    labels[i] = lb[i]!;
  }
  return { images: new HostArray(images, [n, 1, 28, 28], 'f32'), labels: new HostArray(labels, [n], 'i32') };
}

/** The text labels of class indices. */
export function textLabels(indices: Iterable<number> | Tensor | HostArray): string[] {
  const xs = indices instanceof Tensor || indices instanceof HostArray ? Array.from(indices instanceof Tensor ? indices.data() : indices.data) : Array.from(indices);
  return xs.map((i) => {
    const l = FASHION_MNIST_LABELS[i];
    if (l === undefined) throw new DataError(`textLabels: ${i} is not a Fashion-MNIST class (0..9)`);
    return l;
  });
}

// ---- resizing (PIL's bilinear resampling of 8-bit images: triangle filter, antialiased when
// shrinking, rounded to 8 bits after each pass; torchvision's Resize uses it for PIL images)

function resampleCoeffs(inSize: number, outSize: number): { lo: Int32Array; len: Int32Array; w: Float64Array; k: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const k = Math.ceil(support) * 2 + 1;
  const lo = new Int32Array(outSize), len = new Int32Array(outSize), w = new Float64Array(outSize * k);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterscale);
      const v = t < 1 ? 1 - t : 0;
      w[o * k + x] = v;
      total += v;
    }
    for (let x = 0; x < xmax; x++) if (total !== 0) w[o * k + x]! /= total;
    lo[o] = xmin;
    len[o] = xmax;
  }
  return { lo, len, w, k };
}

const clip8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Resizes images [n, c, h, w] with values in [0, 1] to [n, c, height, width] (bilinear, PIL-like). */
export function resizeImages(images: HostArray, size: number | readonly [number, number]): HostArray {
  const [oh, ow] = typeof size === 'number' ? [size, size] : size;
  if (images.shape.length !== 4) throw new DataError(`resizeImages: expected images [n, c, h, w], got [${images.shape.join(', ')}]`);
  if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh > 0 && ow > 0)) throw new DataError(`resizeImages: invalid size ${oh}x${ow}`);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (oh === h && ow === w) return images;
  const cx = resampleCoeffs(w, ow), cy = resampleCoeffs(h, oh);
  const src = images.data;
  const out = new Float32Array(n * c * oh * ow);
  const tmp = new Float64Array(h * ow);
  const plane = new Float64Array(h * w);
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let i = 0; i < h * w; i++) plane[i] = clip8(src[base + i]! * 255);
    for (let y = 0; y < h; y++) {
      for (let o = 0; o < ow; o++) {
        let s = 0;
        const l = cx.lo[o]!, m = cx.len[o]!;
        for (let j = 0; j < m; j++) s += plane[y * w + l + j]! * cx.w[o * cx.k + j]!;
        tmp[y * ow + o] = ow === w ? plane[y * w + o]! : clip8(s);
      }
    }
    const ob = p * oh * ow;
    for (let o = 0; o < oh; o++) {
      const l = cy.lo[o]!, m = cy.len[o]!;
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += tmp[(l + j) * ow + x]! * cy.w[o * cy.k + j]!;
        out[ob + o * ow + x] = (oh === h ? tmp[o * ow + x]! : clip8(s)) / 255;
      }
    }
  }
  return new HostArray(out, [n, c, oh, ow], 'f32');
}

/** Fashion-MNIST as loaded: the splits on the host, and loaders over them. */
export class FashionMnist {
  constructor(
    readonly train: ImageSplit,
    readonly test: ImageSplit,
    readonly resize?: readonly [number, number],
  ) {}

  /** The text labels of class indices. */
  textLabels(indices: Iterable<number> | Tensor | HostArray): string[] {
    return textLabels(indices);
  }

  /** A loader over the training split: shuffled by `key` (the book shuffles training data). */
  trainLoader(batchSize: number, opts: { key?: Key; shuffle?: boolean; dropLast?: boolean } = {}): DataLoader {
    const shuffle = opts.shuffle ?? opts.key !== undefined;
    return this.loader(this.train, batchSize, { ...opts, shuffle });
  }

  /** A loader over the test split (in file order). */
  testLoader(batchSize: number): DataLoader {
    return this.loader(this.test, batchSize, {});
  }

  private loader(s: ImageSplit, batchSize: number, opts: { key?: Key; shuffle?: boolean; dropLast?: boolean }): DataLoader {
    const size = this.resize;
    return new DataLoader({ x: s.images, y: s.labels }, { batchSize, ...opts, transform: size ? (x) => resizeImages(x, size) : undefined });
  }
}

/**
 * Loads Fashion-MNIST from `root` (default $KILN_FASHION_MNIST_DIR, else Debian's
 * /usr/share/datasets/fashion-mnist). Images are f32 in [0, 1] of shape [n, 1, 28, 28], labels
 * i32 of shape [n]; with `resize`, the loaders resize each batch (the stored images stay 28x28,
 * as the book's transforms resize on the fly).
 */
export function loadFashionMnist(opts: FashionMnistOptions = {}): FashionMnist {
  const root = opts.root ?? (process.env.KILN_FASHION_MNIST_DIR || DEFAULT_FASHION_MNIST_DIR);
  const verify = opts.verify ?? true;
  const splits = opts.splits ?? ['train', 'test'];
  const empty = (): ImageSplit => ({ images: HostArray.zeros([0, 1, 28, 28]), labels: HostArray.zeros([0], 'i32') });
  const train = splits.includes('train') ? loadSplit(root, 'train', verify) : empty();
  const test = splits.includes('test') ? loadSplit(root, 'test', verify) : empty();
  const r = opts.resize;
  return new FashionMnist(train, test, r === undefined ? undefined : typeof r === 'number' ? [r, r] : [r[0], r[1]]);
}
