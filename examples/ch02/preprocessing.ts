// Dive into Deep Learning, section 2.2 (Data Preprocessing), with Kiln tensors and the
// csv-parse package for reading CSV files.
// Run: npx tsx examples/ch02/preprocessing.ts
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as k from 'kiln';

/** A table cell: a number, a string, a boolean, or null for a missing value. */
type Cell = number | string | boolean | null;
/** A named column; `float` columns print their numbers with a decimal point (2.0). */
type Column = { name: string; values: Cell[]; float?: boolean };

/** Prints columns as a table with a row index, roughly as pandas prints a data frame. */
function printTable(columns: readonly Column[]): void {
  const rows = columns[0]?.values.length ?? 0;
  const index: Column = { name: '', values: Array.from({ length: rows }, (_, i) => i) };
  const cols = [index, ...columns].map((c) => {
    // As in pandas, a numeric column with missing values is a float column.
    const float = c.float ?? c.values.includes(null);
    const text = (v: Cell) =>
      v === null ? 'NaN'
      : typeof v === 'boolean' ? (v ? 'True' : 'False')
      : typeof v === 'number' && float && Number.isInteger(v) ? v.toFixed(1)
      : String(v);
    const cells = c.values.map(text);
    const width = Math.max(c.name.length, ...cells.map((s) => s.length));
    return { header: c.name.padStart(width), cells: cells.map((s) => s.padStart(width)) };
  });
  // The index column is left-aligned, the others are right-aligned and two spaces apart.
  const idxWidth = cols[0]!.header.length;
  console.log([cols[0]!.header.padEnd(idxWidth), ...cols.slice(1).map((c) => c.header)].join('  '));
  for (let r = 0; r < rows; r++) {
    console.log([String(r).padEnd(idxWidth), ...cols.slice(1).map((c) => c.cells[r])].join('  '));
  }
}

/** Reads missing markers as null and numeric text as numbers, as pandas.read_csv does. */
function castCell(value: string): Cell {
  if (value === '' || value === 'NA' || value === 'NaN') return null;
  const n = Number(value);
  return Number.isNaN(n) ? value : n;
}

const workDir = mkdtempSync(join(tmpdir(), 'kiln-ch02-'));
try {
  // ---- 2.2.1 Reading the dataset
  // Write a tiny house-price data set with missing values (NA) to a CSV file.
  const csvFile = join(workDir, 'house_tiny.csv');
  const csvText = ['NumRooms,RoofType,Price', 'NA,NA,127500', '2,NA,106000', '4,Slate,178100', 'NA,NA,140000'].join('\n') + '\n';
  writeFileSync(csvFile, csvText);

  // Read it back: the first line names the columns.
  const records = parse(readFileSync(csvFile, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    cast: (value, context) => (context.header ? value : castCell(value)),
  }) as Record<string, Cell>[];
  const header = Object.keys(records[0]!);
  const column = (name: string): Column => ({ name, values: records.map((r) => r[name] ?? null) });
  console.log('data:');
  printTable(header.map(column));

  // ---- 2.2.2 Data preparation
  // Inputs are every column but the last; the target is the price.
  const inputs = header.slice(0, -1).map(column);
  const target = column(header[header.length - 1]!);
  const [numRooms, roofType] = inputs as [Column, Column];

  // One-hot encode the categorical column, with a separate category for a missing value
  // (pandas' get_dummies with dummy_na=True): one column per seen value, then one for NaN.
  const categories = [...new Set(roofType.values.filter((v) => v !== null).map(String))].sort();
  const categoryIndex = roofType.values.map((v) => (v === null ? categories.length : categories.indexOf(String(v))));
  const oneHot = k.oneHot(k.array(categoryIndex, { dtype: 'i32' }), categories.length + 1, { dtype: 'bool' });
  const dummyNames = [...categories, 'nan'].map((c) => `${roofType.name}_${c}`);
  const dummyColumns = oneHot.T.toArray() as boolean[][];
  const encoded: Column[] = [numRooms, ...dummyNames.map((name, j) => ({ name, values: dummyColumns[j]! }))];
  console.log('\ninputs with the categorical column one-hot encoded:');
  printTable(encoded);

  // Fill the missing numbers with the mean of the values that are present.
  const rooms = k.array(numRooms.values.map((v) => (v === null ? NaN : Number(v))));
  const missing = k.isNaN(rooms);
  const present = missing.logicalNot();
  const roomsMean = k.where(missing, 0, rooms).sum().div(present.sum());
  const roomsFilled = k.where(missing, roomsMean, rooms);
  console.log(`\nmean of the known ${numRooms.name} values: ${roomsMean}`);
  const filled: Column[] = [{ name: numRooms.name, values: roomsFilled.toArray() as number[], float: true }, ...encoded.slice(1)];
  console.log('inputs with missing values filled:');
  printTable(filled);

  // ---- 2.2.3 Conversion to the tensor format
  // Everything is numeric now: stack the columns into a float matrix, and the target into a vector.
  const X = k.concatenate([roomsFilled.reshape([-1, 1]), oneHot.astype('f32')], 1);
  const y = k.array(target.values.map(Number));
  console.log('\nX:');
  console.log(String(X));
  console.log('y:');
  console.log(String(y));
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
