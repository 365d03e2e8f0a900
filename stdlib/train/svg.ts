// A small line-chart writer: the book's training curves as a standalone SVG file (axes, ticks,
// grid, axis labels, legend, matplotlib-like colours and line styles), no dependencies.

/** One line of a chart. Points whose x or y is not finite break the line. */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** A CSS colour (default: the book's colour cycle). */
  color?: string;
  /** An SVG stroke-dasharray, '' for solid (default: the book's style cycle '-', '--', '-.', ':'). */
  dash?: string;
}

/** Where the legend goes: a corner of the plot, or the one covering the fewest points. */
export type LegendPosition = 'best' | 'upper right' | 'upper left' | 'lower right' | 'lower left';

/** The size, labels, limits, scales and legend of a chart. */
export interface ChartOptions {
  width?: number;
  height?: number;
  title?: string;
  xlabel?: string;
  ylabel?: string;
  xlim?: readonly [number, number];
  ylim?: readonly [number, number];
  xscale?: 'linear' | 'log';
  yscale?: 'linear' | 'log';
  /** Where to put the legend, or false for none (default 'best'). */
  legend?: LegendPosition | false;
  /** Light grid lines at the ticks (default true, as the book's plots). */
  grid?: boolean;
}

/** The book's line formats ('-', 'm--', 'g-.', 'r:'), then matplotlib's tab10 colours, solid. */
const STYLES: readonly { color: string; dash: string }[] = [
  { color: '#1f77b4', dash: '' },
  { color: '#bf00bf', dash: '5.55,2.4' },
  { color: '#008000', dash: '9.6,2.4,1.5,2.4' },
  { color: '#ff0000', dash: '1.5,2.5' },
  ...['#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'].map((color) => ({ color, dash: '' })),
];

/** The default style of series i. */
export function seriesStyle(i: number): { color: string; dash: string } {
  return STYLES[i % STYLES.length]!;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Round tick values inside [lo, hi]: the smallest step of 1, 2, 2.5 or 5 times a power of 10
 * that gives at most `maxTicks` ticks (as matplotlib's MaxNLocator).
 */
export function niceTicks(lo: number, hi: number, maxTicks = 7): number[] {
  if (!(hi > lo)) return [lo];
  const ticksFor = (step: number): number[] => {
    const out: number[] = [];
    for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toPrecision(12)));
    return out;
  };
  let mag = 10 ** (Math.floor(Math.log10(hi - lo)) - 2);
  for (;;) {
    for (const m of [1, 2, 2.5, 5]) {
      const t = ticksFor(m * mag);
      if (t.length <= maxTicks) return t;
    }
    mag *= 10;
  }
}

/** Tick labels with the fewest decimals that tell the ticks apart. */
export function formatTicks(ticks: readonly number[]): string[] {
  for (let d = 0; d <= 10; d++) {
    const labels = ticks.map((t) => {
      const s = t.toFixed(d);
      return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
    });
    if (ticks.every((t, i) => Math.abs(Number(labels[i]) - t) <= Math.abs(t) * 1e-9 + 1e-12)) return labels;
  }
  return ticks.map((t) => String(t));
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

function makeAxis(values: number[], lim: readonly [number, number] | undefined, log: boolean, pad: number): Axis {
  const vals = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo: number, hi: number;
  if (lim) [lo, hi] = lim;
  else if (vals.length === 0) [lo, hi] = log ? [1, 10] : [0, 1];
  else {
    lo = Math.min(...vals);
    hi = Math.max(...vals);
    if (log) {
      const [a, b] = [Math.log10(lo), Math.log10(hi)];
      const m = b > a ? (b - a) * pad : 0.5;
      [lo, hi] = [10 ** (a - m), 10 ** (b + m)];
    } else {
      const m = hi > lo ? (hi - lo) * pad : Math.abs(lo) * 0.1 || 1;
      [lo, hi] = [lo - m, hi + m];
    }
  }
  if (log) {
    if (!(lo > 0 && hi > lo)) throw new RangeError(`log axis needs 0 < lo < hi, got [${lo}, ${hi}]`);
    const ticks: number[] = [];
    for (let e = Math.ceil(Math.log10(lo) - 1e-9); 10 ** e <= hi * (1 + 1e-9); e++) ticks.push(10 ** e);
    if (ticks.length < 2) {
      const t = niceTicks(lo, hi, 4).filter((v) => v > 0);
      return { lo, hi, log, ticks: t, labels: formatTicks(t) };
    }
    return { lo, hi, log, ticks, labels: ticks.map((t) => (t >= 1e-4 && t <= 1e5 ? String(Number(t.toPrecision(6))) : `1e${Math.round(Math.log10(t))}`)) };
  }
  // Equal limits (a one-epoch run with xlim [1, epochs]) widen to a unit range around them.
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  if (!(hi > lo)) throw new RangeError(`axis limits need lo < hi, got [${lo}, ${hi}]`);
  const ticks = niceTicks(lo, hi);
  return { lo, hi, log, ticks, labels: formatTicks(ticks) };
}

const fmt = (v: number) => Number(v.toFixed(2)).toString();

/** An SVG line chart of the series. */
export function lineChartSvg(series: readonly Series[], opts: ChartOptions = {}): string {
  const W = opts.width ?? 420, H = opts.height ?? 300;
  const ml = opts.ylabel ? 62 : 48, mr = 16, mt = opts.title ? 30 : 14, mb = opts.xlabel ? 46 : 30;
  const pw = W - ml - mr, ph = H - mt - mb;
  const xs = makeAxis(series.flatMap((s) => [...s.x]), opts.xlim, opts.xscale === 'log', 0);
  const ys = makeAxis(series.flatMap((s) => s.y.filter((_, i) => Number.isFinite(s.x[i]!))), opts.ylim, opts.yscale === 'log', 0.05);
  const tr = (a: Axis, v: number) => (a.log ? (Math.log10(v) - Math.log10(a.lo)) / (Math.log10(a.hi) - Math.log10(a.lo)) : (v - a.lo) / (a.hi - a.lo));
  const px = (v: number) => ml + tr(xs, v) * pw;
  const py = (v: number) => mt + (1 - tr(ys, v)) * ph;
  const ok = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!xs.log || x > 0) && (!ys.log || y > 0);
  const clipId = `kiln-clip-${Math.abs(hashString(JSON.stringify([W, H, series.map((s) => s.name)])))}`;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="${clipId}"><rect x="${ml}" y="${mt}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  if (opts.title) out.push(`<text class="title" x="${fmt(ml + pw / 2)}" y="${mt - 12}" text-anchor="middle" font-size="13">${escapeXml(opts.title)}</text>`);
  // Grid and ticks.
  const grid = opts.grid ?? true;
  out.push(`<g class="x-axis">`);
  xs.ticks.forEach((t, i) => {
    const x = fmt(px(t));
    if (grid) out.push(`<line x1="${x}" y1="${mt}" x2="${x}" y2="${mt + ph}" stroke="#b0b0b0" stroke-opacity="0.5" stroke-width="0.8"/>`);
    out.push(`<line x1="${x}" y1="${mt + ph}" x2="${x}" y2="${mt + ph + 4}" stroke="#000000"/>`);
    out.push(`<text x="${x}" y="${mt + ph + 16}" text-anchor="middle">${escapeXml(xs.labels[i]!)}</text>`);
  });
  out.push(`</g>`);
  out.push(`<g class="y-axis">`);
  ys.ticks.forEach((t, i) => {
    const y = fmt(py(t));
    if (grid) out.push(`<line x1="${ml}" y1="${y}" x2="${ml + pw}" y2="${y}" stroke="#b0b0b0" stroke-opacity="0.5" stroke-width="0.8"/>`);
    out.push(`<line x1="${ml - 4}" y1="${y}" x2="${ml}" y2="${y}" stroke="#000000"/>`);
    out.push(`<text x="${ml - 7}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(ys.labels[i]!)}</text>`);
  });
  out.push(`</g>`);
  if (opts.xlabel) out.push(`<text class="xlabel" x="${fmt(ml + pw / 2)}" y="${H - 10}" text-anchor="middle" font-size="12">${escapeXml(opts.xlabel)}</text>`);
  if (opts.ylabel) {
    const cy = fmt(mt + ph / 2);
    out.push(`<text class="ylabel" x="14" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${cy})">${escapeXml(opts.ylabel)}</text>`);
  }
  // Lines: one polyline per run of plottable points; a lone point gets a dot.
  const styles = series.map((s, i) => ({ color: s.color ?? seriesStyle(i).color, dash: s.dash ?? seriesStyle(i).dash }));
  out.push(`<g class="series" clip-path="url(#${clipId})">`);
  series.forEach((s, i) => {
    const { color, dash } = styles[i]!;
    const runs: string[][] = [[]];
    for (let j = 0; j < Math.min(s.x.length, s.y.length); j++) {
      if (ok(s.x[j]!, s.y[j]!)) runs[runs.length - 1]!.push(`${fmt(px(s.x[j]!))},${fmt(py(s.y[j]!))}`);
      else if (runs[runs.length - 1]!.length) runs.push([]);
    }
    out.push(`<g data-series="${escapeXml(s.name)}">`);
    for (const r of runs) {
      if (r.length === 1) {
        const [cx, cy] = r[0]!.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2" fill="${escapeXml(color)}"/>`);
      } else if (r.length > 1) {
        out.push(`<polyline fill="none" stroke="${escapeXml(color)}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} stroke-linejoin="round" points="${r.join(' ')}"/>`);
      }
    }
    out.push(`</g>`);
  });
  out.push(`</g>`);
  out.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="#000000" stroke-width="0.8"/>`);
  // Legend.
  if (opts.legend !== false && series.length > 0) {
    const lw = 34 + Math.max(...series.map((s) => s.name.length)) * 6.4, lh = 8 + 15 * series.length;
    const corners: Record<Exclude<LegendPosition, 'best'>, [number, number]> = {
      'upper right': [ml + pw - lw - 6, mt + 6],
      'upper left': [ml + 6, mt + 6],
      'lower right': [ml + pw - lw - 6, mt + ph - lh - 6],
      'lower left': [ml + 6, mt + ph - lh - 6],
    };
    let pos = opts.legend ?? 'best';
    if (pos === 'best') {
      // The corner covering the fewest data points, upper right first on ties (as matplotlib).
      const pts = series.flatMap((s) => s.x.map((x, j) => [x, s.y[j]!] as const).filter(([x, y]) => ok(x, y)).map(([x, y]) => [px(x), py(y)] as const));
      let best = Infinity;
      for (const c of ['upper right', 'upper left', 'lower left', 'lower right'] as const) {
        const [lx, ly] = corners[c];
        const n = pts.filter(([x, y]) => x >= lx && x <= lx + lw && y >= ly && y <= ly + lh).length;
        if (n < best) [best, pos] = [n, c];
      }
    }
    const [lx, ly] = corners[pos as Exclude<LegendPosition, 'best'>];
    out.push(`<g class="legend">`);
    out.push(`<rect x="${fmt(lx)}" y="${fmt(ly)}" width="${fmt(lw)}" height="${lh}" fill="#ffffff" fill-opacity="0.8" stroke="#cccccc" rx="3"/>`);
    series.forEach((s, i) => {
      const y = ly + 11 + 15 * i;
      const { color, dash } = styles[i]!;
      out.push(`<line x1="${fmt(lx + 6)}" y1="${fmt(y)}" x2="${fmt(lx + 26)}" y2="${fmt(y)}" stroke="${escapeXml(color)}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
      out.push(`<text x="${fmt(lx + 30)}" y="${fmt(y)}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
