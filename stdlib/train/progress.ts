// Training progress in the terminal: on a TTY, one line per epoch that redraws in place with a
// bar, the running loss and the throughput; elsewhere (pipes, CI logs, files), no redraws at
// all, just one plain line when each epoch ends.

/** The stream the bar writes to: process.stdout or anything with write() (isTTY optional). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** How a ProgressBar writes. */
export interface ProgressOptions {
  /** The number of epochs, shown as "epoch 3/10". */
  epochs?: number;
  /** Where to write (default process.stdout). */
  stream?: ProgressStream;
  /** Redraw in place (default: whether the stream is a TTY). */
  tty?: boolean;
  /** The width of the bar in characters (default 24). */
  width?: number;
  /** The least time between two redraws, in ms (default 100). */
  minIntervalMs?: number;
  /** The clock in ms (default performance.now); tests pass a fake one. */
  now?: () => number;
}

/** What one epoch came to. */
export interface EpochSummary {
  /** The epoch number, from 1. */
  epoch: number;
  /** The example-weighted mean of the losses passed to update() (NaN when none were). */
  loss: number;
  /** The examples seen. */
  examples: number;
  /** The epoch's wall time. */
  seconds: number;
  /** examples / seconds. */
  examplesPerSec: number;
  /** The metrics passed to endEpoch(). */
  metrics: Record<string, number>;
}

/** Four significant digits, without exponent noise for ordinary values. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** A whole number with thousands separators, e.g. 12,345. */
function formatCount(v: number): string {
  return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A per-epoch progress bar:
 *
 * ```ts
 * const bar = new ProgressBar({ epochs: 10 });
 * for (let e = 0; e < 10; e++) {
 *   bar.startEpoch(loader.length);
 *   for (const [x, y] of loader) bar.update(x.shape[0], step(x, y));
 *   bar.endEpoch({ 'test acc': evaluate() });
 * }
 * ```
 */
export class ProgressBar {
  /** Whether the bar redraws in place (a terminal) or prints one line per epoch. */
  readonly tty: boolean;
  private readonly stream: ProgressStream;
  private readonly epochs?: number;
  private readonly width: number;
  private readonly minInterval: number;
  private readonly now: () => number;
  private epoch = 0;
  private batches = 0;
  private totalBatches?: number;
  private examples = 0;
  private lossSum = 0;
  private lossExamples = 0;
  private t0 = 0;
  private lastDraw = -Infinity;
  private drawn = false;
  private running = false;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.epochs = opts.epochs;
    this.width = opts.width ?? 24;
    this.minInterval = opts.minIntervalMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Starts the next epoch; `numBatches` (e.g. loader.length) sizes the bar. */
  startEpoch(numBatches?: number): void {
    if (this.running) this.endEpoch();
    this.epoch++;
    this.running = true;
    this.batches = 0;
    this.totalBatches = numBatches;
    this.examples = 0;
    this.lossSum = 0;
    this.lossExamples = 0;
    this.t0 = this.now();
    this.lastDraw = -Infinity;
    this.draw(false);
  }

  /** Records one batch of `examples` examples and its mean loss (a number or a scalar Tensor). */
  update(examples: number, loss?: number | { valueOf(): number }): void {
    if (!this.running) this.startEpoch();
    this.batches++;
    this.examples += examples;
    if (loss !== undefined) {
      const l = Number(loss.valueOf());
      this.lossSum += l * examples;
      this.lossExamples += examples;
    }
    this.draw(false);
  }

  private label(): string {
    return this.epochs !== undefined ? `epoch ${this.epoch}/${this.epochs}` : `epoch ${this.epoch}`;
  }

  private rate(): { seconds: number; perSec: number } {
    const seconds = Math.max((this.now() - this.t0) / 1000, 1e-9);
    return { seconds, perSec: this.examples / seconds };
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < this.minInterval) return;
    this.lastDraw = t;
    let bar = '';
    if (this.totalBatches) {
      const frac = Math.min(this.batches / this.totalBatches, 1);
      const full = Math.round(frac * this.width);
      bar = ` [${'█'.repeat(full)}${'░'.repeat(this.width - full)}] ${this.batches}/${this.totalBatches}`;
    } else {
      bar = ` ${this.batches} batches`;
    }
    const loss = this.lossExamples ? `  loss ${formatNumber(this.lossSum / this.lossExamples)}` : '';
    const { perSec } = this.rate();
    const speed = this.examples ? `  ${formatCount(perSec)} ex/s` : '';
    this.stream.write(`\r${this.label()}${bar}${loss}${speed}\x1b[K`);
    this.drawn = true;
  }

  /** Ends the epoch: prints its summary line (with `metrics`, e.g. test accuracy) and returns it. */
  endEpoch(metrics: Record<string, number> = {}): EpochSummary {
    if (!this.running) this.startEpoch();
    this.running = false;
    const { seconds, perSec } = this.rate();
    const loss = this.lossExamples ? this.lossSum / this.lossExamples : NaN;
    const parts = [`${this.label()}:`];
    const fields: string[] = [];
    if (this.lossExamples) fields.push(`loss ${formatNumber(loss)}`);
    for (const [k, v] of Object.entries(metrics)) fields.push(`${k} ${formatNumber(v)}`);
    fields.push(`${formatCount(perSec)} examples/s`, `${seconds.toFixed(1)} s`);
    parts.push(fields.join(', '));
    const line = parts.join(' ');
    this.stream.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    this.drawn = false;
    return { epoch: this.epoch, loss, examples: this.examples, seconds, examplesPerSec: perSec, metrics: { ...metrics } };
  }

  /** Prints a message line without breaking the bar. */
  log(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(message + '\n');
    if (this.tty && this.running) this.draw(true);
  }
}
