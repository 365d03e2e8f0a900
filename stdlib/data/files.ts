// Small readers for the other DATA_HUB files that later chapters use.
import fs from 'node:fs';
import { download, type DownloadOptions } from './download.ts';
import { DataError, HostArray } from './host.ts';

/** The raw text of H. G. Wells' The Time Machine (chapter 9). */
export async function readTimeMachine(opts: DownloadOptions = {}): Promise<string> {
  return fs.readFileSync(await download('timemachine.txt', opts), 'utf8');
}

/**
 * The NASA airfoil self-noise data as the book's get_data_ch11 prepares it: every column
 * standardised (population std), the first `n` rows (default 1500), features [n, 5] and the
 * sound pressure level [n], f32.
 */
export async function loadAirfoil(opts: DownloadOptions & { n?: number } = {}): Promise<{ x: HostArray; y: HostArray }> {
  const file = await download('airfoil_self_noise.dat', opts);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((l, i) => {
    const v = l.trim().split(/\t/).map(Number);
    if (v.length !== 6 || v.some((x) => Number.isNaN(x))) throw new DataError(`${file}:${i + 1}: expected 6 tab-separated numbers`);
    return v;
  });
  const m = rows.length, c = 6;
  const mean = new Float64Array(c), std = new Float64Array(c);
  for (const r of rows) for (let j = 0; j < c; j++) mean[j]! += r[j]! / m;
  for (const r of rows) for (let j = 0; j < c; j++) std[j]! += (r[j]! - mean[j]!) ** 2 / m;
  for (let j = 0; j < c; j++) std[j] = Math.sqrt(std[j]!);
  const n = Math.min(opts.n ?? 1500, m);
  const x = new Float32Array(n * 5), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    for (let j = 0; j < 5; j++) x[i * 5 + j] = (r[j]! - mean[j]!) / std[j]!;
    y[i] = (r[5]! - mean[5]!) / std[5]!;
  }
  return { x: new HostArray(x, [n, 5], 'f32'), y: new HostArray(y, [n], 'f32') };
}
