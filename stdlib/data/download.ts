// The book's data hub: named files with their URL and SHA-1, kept in a cache folder and
// verified on every use, as d2l's `download` does. Files missing from the cache are fetched
// to a temporary file in the cache folder, verified, then renamed into place.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataError } from './host.ts';

/** The base URL of the book's DATA_HUB. */
export const DATA_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/';

/** A file of the data hub. */
export interface DataHubEntry {
  /** Where to download it from. */
  readonly url: string;
  /** The SHA-1 of the file (hex). */
  readonly sha1: string;
  /** Other accepted SHA-1s: the same content in another packing (see fra-eng.zip). */
  readonly altSha1?: readonly string[];
  /** Its size in bytes, where known: a shorter file is reported as truncated. */
  readonly bytes?: number;
  /** What it is, and which chapter uses it. */
  readonly about: string;
}

/** The files of the book's DATA_HUB that Kiln uses, by file name. */
export const DATA_HUB: Readonly<Record<string, DataHubEntry>> = {
  'kaggle_house_pred_train.csv': {
    url: DATA_URL + 'kaggle_house_pred_train.csv',
    sha1: '585e9cc93e70b39160e7921475f9bcd7d31219ce',
    bytes: 460676,
    about: 'Kaggle house prices, training set: 1460 rows x 81 columns (5.7 / 4.10)',
  },
  'kaggle_house_pred_test.csv': {
    url: DATA_URL + 'kaggle_house_pred_test.csv',
    sha1: 'fa19780a7b011d9b009e8bff8e99922a8ee2eb90',
    bytes: 451405,
    about: 'Kaggle house prices, test set: 1459 rows x 80 columns (5.7 / 4.10)',
  },
  'airfoil_self_noise.dat': {
    url: DATA_URL + 'airfoil_self_noise.dat',
    sha1: '76e5be1548fd8222e5074cf0faae75edff8cf93f',
    bytes: 59984,
    about: 'NASA airfoil self-noise, 1503 rows, tab separated (chapter 12 optimisation)',
  },
  'timemachine.txt': {
    url: DATA_URL + 'timemachine.txt',
    sha1: '090b5e7e70c295757f55df93cb0a180b9691891a',
    bytes: 178979,
    about: 'H. G. Wells, The Time Machine (chapter 9 text and language models)',
  },
  'fra-eng.zip': {
    url: DATA_URL + 'fra-eng.zip',
    sha1: '94646ad1522d915e7b0f9296181140edcf86a4f5',
    // The same fra.txt zipped without the fra-eng/ folder (an offline mirror's packing).
    altSha1: ['28b153bf28b7ec6066f0920d0a7d3c4319d0b842'],
    about: 'Tatoeba English-French pairs, CC-BY 2.0 (machine translation)',
  },
};

/** The cache folder: the option, else $KILN_DATA_DIR, else ~/.cache/kiln/data. */
export function dataDir(cacheDir?: string): string {
  const d = cacheDir ?? process.env.KILN_DATA_DIR;
  if (d !== undefined && d !== '') return path.resolve(d);
  return path.join(os.homedir(), '.cache', 'kiln', 'data');
}

/** The SHA-1 (hex) of bytes. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** The SHA-1 (hex) of a file, read in chunks. */
export function sha1File(file: string): string {
  const h = createHash('sha1');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** A downloaded or cached file that is not the one the hub names. */
export class ChecksumError extends DataError {
  override name = 'ChecksumError';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    detail: string,
  ) {
    super(`${file}: SHA-1 mismatch: expected ${expected}, got ${actual}${detail ? ` (${detail})` : ''}`);
  }
}

function checkEntry(name: string, e: DataHubEntry, file: string, size: number, sha1: string, hint: string): void {
  if (sha1 === e.sha1 || e.altSha1?.includes(sha1)) return;
  const detail = e.bytes !== undefined && size < e.bytes ? `truncated: ${size} of ${e.bytes} bytes` : `${size} bytes`;
  throw new ChecksumError(file, e.sha1, sha1, `${detail}; ${hint} ${name}`.trim());
}

/** Where `download` looks for files and how it may fetch them. */
export interface DownloadOptions {
  /** The cache folder (default: $KILN_DATA_DIR, else ~/.cache/kiln/data). */
  cacheDir?: string;
  /** Never touch the network: a file missing from the cache is an error. Default: $KILN_OFFLINE === '1'. */
  offline?: boolean;
  /** The fetch to use (default: Node's global fetch); tests pass a fake one. */
  fetch?: (url: string) => Promise<Response>;
}

/**
 * The local path of a DATA_HUB file: taken from the cache when its SHA-1 matches, downloaded
 * (to a temporary file, verified, renamed) when missing. A cached file with a wrong hash is an
 * error that names the file and both hashes; delete it to download it again.
 */
export async function download(name: string, opts: DownloadOptions = {}): Promise<string> {
  const e = DATA_HUB[name];
  if (!e) throw new DataError(`download: no data set named '${name}'; known: ${Object.keys(DATA_HUB).join(', ')}`);
  const dir = dataDir(opts.cacheDir);
  const file = path.join(dir, name);
  if (fs.existsSync(file)) {
    checkEntry(name, e, file, fs.statSync(file).size, sha1File(file), 'delete the file to download it again from');
    return file;
  }
  const offline = opts.offline ?? process.env.KILN_OFFLINE === '1';
  if (offline) throw new DataError(`download: ${file} is not in the cache and downloads are off (offline); get it from ${e.url}`);
  const fetchFn = opts.fetch ?? ((u: string) => fetch(u));
  let bytes: Uint8Array;
  try {
    const res = await fetchFn(e.url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new DataError(`download: fetching ${e.url} failed: ${(err as Error).message}`);
  }
  checkEntry(name, e, `${e.url} (for ${file})`, bytes.length, sha1Hex(bytes), 'the server sent a different file than expected for');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return file;
}

/** Reads a DATA_HUB file as text (downloading it when missing). */
export async function readDataText(name: string, opts: DownloadOptions = {}): Promise<string> {
  return fs.readFileSync(await download(name, opts), 'utf8');
}
