// The book's Timer and Accumulator.

/** Records running times (seconds), as the book's d2l.Timer; starts on creation. */
export class Timer {
  /** The recorded times, in seconds. */
  readonly times: number[] = [];
  private tik = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.start();
  }

  /** Starts (or restarts) the clock. */
  start(): void {
    this.tik = this.now();
  }

  /** Stops the clock, records the time since start() and returns it in seconds. */
  stop(): number {
    const t = (this.now() - this.tik) / 1000;
    this.times.push(t);
    return t;
  }

  /** The mean of the recorded times (NaN when none). */
  avg(): number {
    return this.sum() / this.times.length;
  }

  /** The sum of the recorded times. */
  sum(): number {
    return this.times.reduce((a, b) => a + b, 0);
  }

  /** The running sums of the recorded times. */
  cumsum(): number[] {
    let s = 0;
    return this.times.map((t) => (s += t));
  }
}

/** Sums over `n` variables, as the book's d2l.Accumulator. */
export class Accumulator {
  private data: number[];

  constructor(readonly n: number) {
    this.data = new Array<number>(n).fill(0);
  }

  /** Adds one value to each variable (numbers, or anything with a numeric valueOf such as a scalar Tensor). */
  add(...args: (number | { valueOf(): number })[]): void {
    if (args.length !== this.n) throw new RangeError(`Accumulator.add: expected ${this.n} values, got ${args.length}`);
    this.data = this.data.map((a, i) => a + Number(args[i]!.valueOf()));
  }

  /** Sets every variable to 0. */
  reset(): void {
    this.data.fill(0);
  }

  /** Variable i. */
  get(i: number): number {
    const v = this.data[i];
    if (v === undefined) throw new RangeError(`Accumulator.get: index ${i} out of range [0, ${this.n})`);
    return v;
  }

  /** All variables. */
  values(): number[] {
    return [...this.data];
  }
}
