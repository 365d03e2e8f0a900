// Training feedback (k.train): a terminal progress bar, the book's Animator writing SVG
// training curves, a Timer and an Accumulator.
export { ProgressBar, formatNumber, type EpochSummary, type ProgressOptions, type ProgressStream } from './progress.ts';
export { Animator, type AnimatorOptions } from './animator.ts';
export { lineChartSvg, niceTicks, formatTicks, escapeXml, seriesStyle, type ChartOptions, type LegendPosition, type Series } from './svg.ts';
export { Timer, Accumulator } from './timer.ts';
