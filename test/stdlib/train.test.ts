// k.train: progress bar (TTY and non-TTY), SVG training curves, Timer, Accumulator.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as k from '../../index.ts';
import * as train from '../../stdlib/train/index.ts';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-train-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A stream that records what is written. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** A clock advanced by hand (ms). */
function clock() {
  let t = 0;
  return Object.assign(() => t, { advance: (ms: number) => (t += ms) });
}

describe('ProgressBar', () => {
  test('not a TTY: exactly one plain line per epoch', () => {
    const out = sink(false);
    const now = clock();
    const bar = new train.ProgressBar({ epochs: 2, stream: out, now });
    expect(bar.tty).toBe(false);
    for (let e = 0; e < 2; e++) {
      bar.startEpoch(3);
      for (let b = 0; b < 3; b++) {
        now.advance(500);
        bar.update(100, b === 2 ? 0.5 : 1); // mean loss (100 + 100 + 50) / 300
      }
      const s = bar.endEpoch({ 'test acc': 0.8125 });
      expect(s.epoch).toBe(e + 1);
      expect(s.examples).toBe(300);
      expect(s.loss).toBeCloseTo(2.5 / 3, 12);
      expect(s.seconds).toBeCloseTo(1.5, 9);
      expect(s.examplesPerSec).toBeCloseTo(200, 9);
    }
    expect(out.text()).toBe('epoch 1/2: loss 0.8333, test acc 0.8125, 200 examples/s, 1.5 s\nepoch 2/2: loss 0.8333, test acc 0.8125, 200 examples/s, 1.5 s\n');
    expect(out.chunks.length).toBe(2);
    expect(out.text()).not.toMatch(/[\r\x1b]/);
  });

  test('a TTY redraws in place, throttled, and ends each epoch with a newline', () => {
    const out = sink(true);
    const now = clock();
    const bar = new train.ProgressBar({ epochs: 1, stream: out, now, width: 10, minIntervalMs: 100 });
    bar.startEpoch(4);
    for (let b = 0; b < 4; b++) {
      now.advance(b === 1 ? 10 : 200); // the second batch comes too soon to redraw
      bar.update(1000, 0.25);
    }
    bar.endEpoch();
    const redraws = out.chunks.filter((c) => c.startsWith('\r') && !c.endsWith('\n'));
    expect(redraws.length).toBe(4); // the start, and 3 of the 4 batches
    expect(redraws.at(-1)).toBe('\repoch 1/1 [██████████] 4/4  loss 0.25  6,557 ex/s\x1b[K');
    expect(out.chunks.at(-1)).toMatch(/^\repoch 1\/1: loss 0\.25, 6,557 examples\/s, 0\.6 s\x1b\[K\n$/);
  });

  test('log() keeps the bar intact; the default stream is stdout', () => {
    const out = sink(true);
    const bar = new train.ProgressBar({ stream: out, minIntervalMs: 0 });
    bar.startEpoch();
    bar.update(10, k.array(0.5));
    bar.log('checkpoint saved');
    expect(out.text()).toContain('\r\x1b[Kcheckpoint saved\n');
    expect(out.chunks.at(-1)).toMatch(/^\repoch 1 1 batches {2}loss 0\.5/);
    expect(new train.ProgressBar().tty).toBe(process.stdout.isTTY === true);
  });

  test('number formatting', () => {
    expect(train.formatNumber(0.123456)).toBe('0.1235');
    expect(train.formatNumber(1234.5678)).toBe('1235');
    expect(train.formatNumber(2.5e-5)).toBe('2.500e-5');
    expect(train.formatNumber(NaN)).toBe('NaN');
  });
});

/** A tiny well-formedness check: tags nest and close, attributes are quoted, entities are known. */
function checkXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  let roots = 0;
  while ((m = tagRe.exec(body))) {
    const text = body.slice(last, m.index);
    if (/[<>]/.test(text)) throw new Error(`stray markup before offset ${m.index}: ${JSON.stringify(text.slice(0, 40))}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bad entity in ${JSON.stringify(text)}`);
    if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
    last = tagRe.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (body.slice(last).trim() !== '') throw new Error(`trailing content: ${body.slice(last, last + 40)}`);
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

describe('SVG charts', () => {
  test('nice ticks and labels', () => {
    expect(train.niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(train.niceTicks(1, 10)).toEqual([2, 4, 6, 8, 10]);
    expect(train.niceTicks(0.31, 0.92)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(train.niceTicks(1, 3)).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(train.niceTicks(-1e-3, 2e-3)).toEqual([-0.001, -0.0005, 0, 0.0005, 0.001, 0.0015, 0.002]);
    expect(train.formatTicks([0, 0.25, 0.5])).toEqual(['0.00', '0.25', '0.50']);
    expect(train.formatTicks([2, 4, 6])).toEqual(['2', '4', '6']);
    expect(train.escapeXml(`a<b & "c"`)).toBe('a&lt;b &amp; &quot;c&quot;');
  });

  test('a chart has axes, ticks, labels, series and a legend, as valid XML', () => {
    const svg = train.lineChartSvg(
      [
        { name: 'train loss', x: [1, 2, 3], y: [0.9, 0.6, 0.5] },
        { name: 'test <acc>', x: [1, 2, 3], y: [0.5, NaN, 0.8] },
      ],
      { xlabel: 'epoch', ylabel: 'value & more', title: 'Softmax regression', xlim: [1, 3], ylim: [0, 1] },
    );
    checkXml(svg);
    expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>value &amp; more</text>');
    expect(svg).toContain('>Softmax regression</text>');
    expect(svg).toContain('data-series="train loss"');
    expect(svg).toContain('data-series="test &lt;acc&gt;"');
    expect(svg.match(/<polyline /g)!.length).toBe(1); // the NaN breaks series 2 into two lone points
    expect(svg.match(/<circle /g)!.length).toBe(2);
    expect(svg).toMatch(/<g class="legend">[\s\S]*>train loss<\/text>[\s\S]*>test &lt;acc&gt;<\/text>/);
    expect(svg).toContain('stroke="#1f77b4"');
    expect(svg).toContain('stroke="#bf00bf" stroke-width="1.5" stroke-dasharray="5.55,2.4"');
    for (const t of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) expect(svg).toContain(`>${t}</text>`);
    for (const t of ['1.0', '1.5', '2.0', '2.5', '3.0']) expect(svg).toContain(`>${t}</text>`);
  });

  test('log scale and automatic limits', () => {
    const svg = train.lineChartSvg([{ name: 'loss', x: [1, 2, 3, 4], y: [10, 1, 0.1, 0.01] }], { yscale: 'log', legend: false });
    checkXml(svg);
    for (const t of ['0.01', '0.1', '1', '10']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).not.toContain('class="legend"');
    checkXml(train.lineChartSvg([], {}));
    checkXml(train.lineChartSvg([{ name: 'one point', x: [5], y: [5] }]));
  });
});

describe('Animator', () => {
  test('records series per epoch and writes the SVG file on every add', () => {
    const file = path.join(tmp, 'curves.svg');
    const anim = new train.Animator({ xlabel: 'epoch', xlim: [1, 3], ylim: [0.3, 0.9], legend: ['train loss', 'train acc', 'test acc'], file });
    anim.add(1, [0.8, 0.6, undefined]);
    expect(fs.existsSync(file)).toBe(true);
    anim.add(2, [0.5, 0.7, 0.72]);
    anim.add(3, { 'train loss': 0.45, 'train acc': k.array(0.8), 'test acc': 0.79 });
    anim.draw(3, 0.4, 'lr');
    const s = anim.series;
    expect(s.map((x) => x.name)).toEqual(['train loss', 'train acc', 'test acc', 'lr']);
    expect(s[0]!.y).toEqual([0.8, 0.5, 0.45]);
    expect(s[1]!.y[2]).toBeCloseTo(0.8, 6);
    expect(s[2]!.x).toEqual([2, 3]);
    const svg = fs.readFileSync(file, 'utf8');
    checkXml(svg);
    for (const n of ['train loss', 'train acc', 'test acc', 'lr']) expect(svg).toContain(`>${n}</text>`);
    expect(svg.match(/<polyline /g)!.length).toBe(3);
    expect(fs.readdirSync(tmp)).toEqual(['curves.svg']);
    expect(anim.save(path.join(tmp, 'copy.svg'))).toBe(path.join(tmp, 'copy.svg'));
  });

  test('a single value per add, without a file', () => {
    const anim = new train.Animator();
    anim.add(0, 1).add(1, 2);
    expect(anim.series).toEqual([{ name: 'series 0', x: [0, 1], y: [1, 2] }]);
    expect(() => anim.save()).toThrow(/no file given/);
  });
});

test('Timer and Accumulator', () => {
  let t = 0;
  const timer = new train.Timer(() => t);
  t = 1500;
  expect(timer.stop()).toBe(1.5);
  timer.start();
  t = 2000;
  timer.stop();
  expect(timer.times).toEqual([1.5, 0.5]);
  expect(timer.sum()).toBe(2);
  expect(timer.avg()).toBe(1);
  expect(timer.cumsum()).toEqual([1.5, 2]);
  const real = new train.Timer();
  expect(real.stop()).toBeGreaterThanOrEqual(0);

  const acc = new train.Accumulator(2);
  acc.add(1, 2);
  acc.add(k.array(3), 4);
  expect(acc.values()).toEqual([4, 6]);
  expect(acc.get(1)).toBe(6);
  acc.reset();
  expect(acc.get(0)).toBe(0);
  expect(() => acc.add(1)).toThrow(/expected 2 values/);
});
