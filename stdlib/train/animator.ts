// The book's Animator (and ProgressBoard): named series of points recorded during training,
// drawn as an SVG line chart into a file that a browser or editor shows and refreshes.
import { writeTextAtomic } from '../io/atomic.ts';
import { lineChartSvg, type ChartOptions, type Series } from './svg.ts';

/** The chart options of an Animator, its series names and its file. */
export interface AnimatorOptions extends Omit<ChartOptions, 'legend'> {
  /** The series names, in the order add() takes their values (the book's `legend`). */
  legend?: readonly string[];
  /** Where the chart goes: written again after every add() / draw(). */
  file?: string;
  /** Legend placement (default 'best'), or false for none. */
  legendPosition?: ChartOptions['legend'];
}

type Value = number | null | undefined | { valueOf(): number };

/**
 * Records curves and draws them:
 *
 * ```ts
 * const anim = new Animator({ xlabel: 'epoch', xlim: [1, 10], ylim: [0.3, 0.9],
 *   legend: ['train loss', 'train acc', 'test acc'], file: 'curves.svg' });
 * anim.add(epoch + 1, [trainLoss, trainAcc, testAcc]);
 * ```
 */
export class Animator {
  private readonly opts: AnimatorOptions;
  private readonly data = new Map<string, { x: number[]; y: number[] }>();
  private readonly names: string[];

  constructor(opts: AnimatorOptions = {}) {
    this.opts = opts;
    this.names = [...(opts.legend ?? [])];
    for (const n of this.names) this.data.set(n, { x: [], y: [] });
  }

  private seriesFor(name: string): { x: number[]; y: number[] } {
    let s = this.data.get(name);
    if (!s) {
      s = { x: [], y: [] };
      this.data.set(name, s);
      if (!this.names.includes(name)) this.names.push(name);
    }
    return s;
  }

  /**
   * Adds the point (x, y_i) to each series i: `y` is one value, a list in the order of the
   * names, or a record by name. A missing value (null, undefined) adds nothing to its series.
   */
  add(x: number, y: Value | readonly Value[] | Readonly<Record<string, Value>>): this {
    const put = (name: string, v: Value) => {
      if (v === null || v === undefined) return;
      const s = this.seriesFor(name);
      s.x.push(x);
      s.y.push(Number(v.valueOf()));
    };
    if (Array.isArray(y)) (y as readonly Value[]).forEach((v, i) => put(this.names[i] ?? `series ${i}`, v));
    else if (y !== null && typeof y === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(y))) {
      for (const [k, v] of Object.entries(y as Record<string, Value>)) put(k, v);
    } else put(this.names[0] ?? 'series 0', y as Value);
    if (this.opts.file) this.save();
    return this;
  }

  /** Adds one point to the series `label` (the book's ProgressBoard.draw). */
  draw(x: number, y: Value, label: string): this {
    return this.add(x, { [label]: y });
  }

  /** The recorded series, in legend order. */
  get series(): Series[] {
    return this.names.map((name) => ({ name, x: [...this.data.get(name)!.x], y: [...this.data.get(name)!.y] }));
  }

  /** The chart as SVG text. */
  toSvg(): string {
    const { file: _f, legend: _l, legendPosition, ...chart } = this.opts;
    return lineChartSvg(this.series, { ...chart, legend: legendPosition ?? 'best' });
  }

  /** Writes the chart (atomically) to `file`, by default the one given at construction; returns the path. */
  save(file = this.opts.file): string {
    if (!file) throw new Error('Animator.save: no file given');
    writeTextAtomic(file, this.toSvg());
    return file;
  }
}
