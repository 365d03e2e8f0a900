// Kaggle's house prices (the book's 5.7, 4.10 in older editions): the two CSV files of the
// data hub and the book's preprocessing with pandas, done by hand: drop Id, standardise the
// numeric columns over train + test together, fill missing numbers with 0 (the mean after
// standardising), one-hot encode the other columns with a separate missing-value column
// (pd.get_dummies(..., dummy_na=True)).
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { array } from '../../dsl/creation.ts';
import type { Tensor } from '../../dsl/tensor.ts';
import { download, type DownloadOptions } from './download.ts';
import { DataError } from './host.ts';

/** A CSV file as strings: the header and the rows. */
export interface Table {
  columns: string[];
  rows: string[][];
}

/** pandas' default NA strings of read_csv (pandas 2), which the book's preprocessing relies on. */
export const PANDAS_NA_VALUES: readonly string[] = [
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL',
  'NaN', 'None', 'n/a', 'nan', 'null',
];

/** Parses CSV text with a header line into a Table; `what` names the source in errors. */
export function readCsv(text: string, what = 'CSV'): Table {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new DataError(`${what}: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new DataError(`${what}: no header line`);
  const [columns, ...rows] = records as [string[], ...string[][]];
  return { columns, rows };
}

/** The raw Kaggle house-price tables (downloaded into the cache folder when missing). */
export async function loadHousePrices(opts: DownloadOptions = {}): Promise<{ train: Table; test: Table }> {
  const trainFile = await download('kaggle_house_pred_train.csv', opts);
  const testFile = await download('kaggle_house_pred_test.csv', opts);
  return {
    train: readCsv(fs.readFileSync(trainFile, 'utf8'), trainFile),
    test: readCsv(fs.readFileSync(testFile, 'utf8'), testFile),
  };
}

/** The preprocessed house-price data. */
export interface HouseData {
  /** Training features [nTrain, nColumns], f32. */
  trainFeatures: Tensor;
  /** Sale prices [nTrain, 1], f32 (the book takes their log in the loss). */
  trainLabels: Tensor;
  /** Test features [nTest, nColumns], f32. */
  testFeatures: Tensor;
  /** The feature names: numeric columns, then `<column>_<category>` and `<column>_nan`. */
  columns: string[];
  /** Which columns were numeric (standardised); the others are one-hot categories. */
  numericColumns: string[];
  /** The Id column of the test rows (for a submission file). */
  testIds: number[];
}

/** The columns and missing-value strings of the house-price preprocessing. */
export interface PreprocessOptions {
  /** The label column of the training table. Default 'SalePrice'. */
  label?: string;
  /** The id column, dropped. Default 'Id'. */
  id?: string;
  /** Strings read as missing values. Default pandas' list (PANDAS_NA_VALUES, which includes 'None'). */
  naValues?: Iterable<string>;
}

const isNumber = (s: string): boolean => s.trim() !== '' && !Number.isNaN(Number(s));

/** The book's preprocessing of the house-price tables (see the top of this file). */
export function preprocessHouse(train: Table, test: Table, opts: PreprocessOptions = {}): HouseData {
  const label = opts.label ?? 'SalePrice';
  const id = opts.id ?? 'Id';
  const na = new Set(opts.naValues ?? PANDAS_NA_VALUES);
  const labelAt = train.columns.indexOf(label);
  if (labelAt < 0) throw new DataError(`preprocessHouse: the training table has no label column '${label}'`);
  const features = train.columns.filter((c) => c !== label && c !== id);
  const trainIdx = features.map((c) => train.columns.indexOf(c));
  const testIdx = features.map((c) => {
    const j = test.columns.indexOf(c);
    if (j < 0) throw new DataError(`preprocessHouse: the test table has no column '${c}'`);
    return j;
  });
  const testIdAt = test.columns.indexOf(id);
  const nTrain = train.rows.length, nTest = test.rows.length, n = nTrain + nTest;
  const cell = (r: number, f: number): string => {
    const row = r < nTrain ? train.rows[r]! : test.rows[r - nTrain]!;
    const v = row[r < nTrain ? trainIdx[f]! : testIdx[f]!];
    if (v === undefined) throw new DataError(`preprocessHouse: row ${r < nTrain ? r : r - nTrain} of the ${r < nTrain ? 'training' : 'test'} table is short`);
    return v;
  };

  // Column kinds, as pandas infers dtypes: numeric when every present value parses as a number.
  type Col = { name: string; numeric: true; values: Float64Array } | { name: string; numeric: false; cats: string[]; codes: Int32Array };
  const cols: Col[] = features.map((name, f) => {
    let numeric = true;
    for (let r = 0; r < n && numeric; r++) {
      const s = cell(r, f);
      if (!na.has(s) && !isNumber(s)) numeric = false;
    }
    if (numeric) {
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const s = cell(r, f);
        values[r] = na.has(s) ? NaN : Number(s);
      }
      return { name, numeric: true, values };
    }
    const seen = new Set<string>();
    for (let r = 0; r < n; r++) {
      const s = cell(r, f);
      if (!na.has(s)) seen.add(s);
    }
    const cats = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const at = new Map(cats.map((c, i) => [c, i]));
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const s = cell(r, f);
      codes[r] = na.has(s) ? cats.length : at.get(s)!;
    }
    return { name, numeric: false, cats, codes };
  });

  // Standardise numeric columns (pandas: mean and sample std, ddof = 1, skipping NaN), NaN -> 0.
  for (const c of cols) {
    if (!c.numeric) continue;
    let cnt = 0, sum = 0;
    for (const v of c.values) if (!Number.isNaN(v)) (cnt++, (sum += v));
    const mean = sum / cnt;
    let ss = 0;
    for (const v of c.values) if (!Number.isNaN(v)) ss += (v - mean) ** 2;
    const std = Math.sqrt(ss / (cnt - 1));
    for (let r = 0; r < n; r++) {
      const z = (c.values[r]! - mean) / std;
      c.values[r] = Number.isFinite(z) ? z : 0;
    }
  }

  // Numeric columns first, then each categorical column's dummies (sorted categories, then nan).
  const numeric = cols.filter((c): c is Extract<Col, { numeric: true }> => c.numeric);
  const categorical = cols.filter((c): c is Extract<Col, { numeric: false }> => !c.numeric);
  const columns = [...numeric.map((c) => c.name), ...categorical.flatMap((c) => [...c.cats.map((k) => `${c.name}_${k}`), `${c.name}_nan`])];
  const width = columns.length;
  const out = new Float32Array(n * width);
  numeric.forEach((c, j) => {
    for (let r = 0; r < n; r++) out[r * width + j] = c.values[r]!;
  });
  let off = numeric.length;
  for (const c of categorical) {
    for (let r = 0; r < n; r++) out[r * width + off + c.codes[r]!] = 1;
    off += c.cats.length + 1;
  }

  const labels = new Float32Array(nTrain);
  for (let r = 0; r < nTrain; r++) {
    const s = train.rows[r]![labelAt]!;
    if (!isNumber(s)) throw new DataError(`preprocessHouse: row ${r} has no numeric ${label} ('${s}')`);
    labels[r] = Number(s);
  }
  const testIds = test.rows.map((row) => (testIdAt >= 0 ? Number(row[testIdAt]) : NaN));
  return {
    trainFeatures: array(out.subarray(0, nTrain * width), { shape: [nTrain, width], dtype: 'f32' }),
    trainLabels: array(labels, { shape: [nTrain, 1], dtype: 'f32' }),
    testFeatures: array(out.subarray(nTrain * width), { shape: [nTest, width], dtype: 'f32' }),
    columns,
    numericColumns: numeric.map((c) => c.name),
    testIds,
  };
}
