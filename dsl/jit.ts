// jit: trace once per input signature, compile for the device, cache, run. Inside another
// trace a jitted function is simply traced through (its ops join the enclosing function).
import { TraceError } from '../compiler/ir/errors.ts';
import { avalToString, type Func } from '../compiler/ir/ir.ts';
import { Device, DeviceMismatchError, HostArrayOnDevice, type DeviceArray } from '../runtime/device.ts';
import { compileProgramFor, type RunnableProgram } from './compile.ts';
import { defaultDevice, device as deviceOf } from './devices.ts';
import { ShapeDtype, traceToFunc } from './make-ir.ts';
import { Tensor } from './tensor.ts';
import { currentTrace } from './trace.ts';
import { treeFlatten, treeUnflatten, type TreeDef } from './tree.ts';

/** Options of jit: static and donated arguments, and the device. */
export interface JitOptions {
  /** Positional arguments that are static: part of the cache key, baked into the program. */
  staticArgnums?: number | readonly number[];
  /**
   * Positional arguments whose buffers the function may reuse for its results (an optimiser
   * step updating weights in place). Donated tensors must not be used after the call.
   */
  donateArgnums?: number | readonly number[];
  /** The device to compile for; by default that of the arguments, else the default device. */
  device?: Device | string;
}

/** What the compilations of a jitted function cost and produced. */
export interface JitStats {
  /** Signatures compiled so far. */
  readonly compiles: number;
  /** Kernels of the most recent compilation. */
  readonly kernels: number;
  /** Milliseconds of the most recent compilation (tracing, compiler, LLVM). */
  readonly compileMs: number;
  /** Whether the most recent native library came from the compilation cache. */
  readonly cached: boolean;
  /** Peak memory of the most recent program, in bytes. */
  readonly peakBytes: number;
}

interface Entry {
  func: Func;
  outTree: TreeDef;
  run: RunnableProgram;
  /** Captured concrete values passed as extra inputs. */
  consts: DeviceArray[];
  device: Device;
}

const asList = (x: number | readonly number[] | undefined): number[] => (x === undefined ? [] : typeof x === 'number' ? [x] : [...x]);

/** A jitted function, with its compilation statistics. */
export type Jitted<A extends unknown[], R> = ((...args: A) => R) & {
  /** The traced IR for these arguments (compiling nothing). */
  lower(...args: A): Func;
  stats(): JitStats;
};

/**
 * Compiles `f` for each new signature of its arguments (shapes, dtypes, static values) and
 * runs the compiled program, as jax.jit does.
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R, opts: JitOptions = {}): Jitted<A, R> {
  const statics = asList(opts.staticArgnums);
  const donate = asList(opts.donateArgnums);
  const cache = new Map<string, Entry>();
  let stats: JitStats = { compiles: 0, kernels: 0, compileMs: 0, cached: false, peakBytes: 0 };

  const prepare = (args: A) => {
    const keyParts: string[] = [];
    const dynamic: Tensor[] = [];
    const dynArg: number[] = [];
    const abstract = args.map((a, i) => {
      if (statics.includes(i)) {
        keyParts.push(`s${i}=${JSON.stringify(a)}`);
        return a;
      }
      const { leaves, def } = treeFlatten(a);
      keyParts.push(`a${i}:${JSON.stringify(def)}`);
      const abs = leaves.map((l) => {
        if (l instanceof Tensor) {
          keyParts.push(avalToString(l.aval));
          dynamic.push(l);
          dynArg.push(i);
          return new ShapeDtype(l.shape, l.dtype);
        }
        keyParts.push(JSON.stringify(l) ?? String(l));
        return l;
      });
      return treeUnflatten(def, abs);
    });
    return { key: keyParts.join('|'), abstract, dynamic, dynArg };
  };

  const compile = (key: string, abstract: unknown[], dynamic: Tensor[], dynArg: number[]): Entry => {
    const t0 = performance.now();
    const r = traceToFunc(f as (...a: never[]) => unknown, abstract, { name: f.name || 'jit' });
    const consts = r.trace.captured.map((c) => {
      if (c.value.kind !== 'concrete') throw new TraceError('jit: a value of an enclosing trace was captured');
      return c.value.array;
    });
    const all = [...dynamic.map((t) => arrayOf(t)), ...consts];
    const devs = [...all.filter((a) => a.committed), ...all].map((a) => a.device);
    const dev = opts.device !== undefined ? deviceOf(opts.device) : (devs[0] ?? defaultDevice());
    const donated = [...dynArg.map((a) => donate.includes(a)), ...consts.map(() => false)];
    const run = compileProgramFor(dev, r.func, donated);
    const entry: Entry = { func: r.func, outTree: r.outTree, run, consts, device: dev };
    cache.set(key, entry);
    stats = {
      compiles: stats.compiles + 1,
      kernels: run.kernelCount,
      compileMs: performance.now() - t0,
      cached: run.cached,
      peakBytes: run.peakBytes,
    };
    return entry;
  };

  const call = (...args: A): R => {
    if (currentTrace()) return f(...args);
    const { key: sig, abstract, dynamic, dynArg } = prepare(args);
    // The device is part of the signature: the same function may run on several devices.
    const dev = opts.device !== undefined ? String(deviceOf(opts.device)) : String(placement(dynamic));
    const key = `${dev}|${sig}`;
    const entry = cache.get(key) ?? compile(key, abstract, dynamic, dynArg);
    const arrays = [...dynamic.map((t) => arrayOf(t)), ...entry.consts];
    for (const a of arrays) {
      if (a.committed && a.device.kind !== entry.device.kind) {
        throw new DeviceMismatchError(`jit(${f.name || 'f'}): an argument lives on ${a.device}, the function runs on ${entry.device}; move it with x.to(device)`);
      }
    }
    const committed = arrays.some((a) => a.committed);
    if (entry.run.runArrays) {
      // GPU backends: arguments and results stay on the device.
      const donated = [...dynamic.map((_, i) => donate.includes(dynArg[i]!)), ...entry.consts.map(() => false)];
      const outs = entry.run.runArrays(arrays, donated, committed);
      return treeUnflatten<R>(entry.outTree, outs.map((array) => Tensor._wrap({ kind: 'concrete', array })));
    }
    const datas = arrays.map((a) => a.toHost().data);
    // A donated buffer passed again as another argument would be overwritten while still read:
    // the donated position gets a copy.
    datas.forEach((d, i) => {
      if (i < dynamic.length && donate.includes(dynArg[i]!) && datas.some((o, j) => j !== i && o === d)) datas[i] = d.slice();
    });
    const outs = entry.run.run(datas);
    dynamic.forEach((t, i) => donate.includes(dynArg[i]!) && markDonated(t));
    // Results never share a buffer with an argument or with each other (each may be donated later).
    const seen = new Set<unknown>(datas);
    const owned = outs.map((h) => {
      const copy = seen.has(h) ? h.slice() : h;
      seen.add(copy);
      return copy;
    });
    const tensors = owned.map((h, i) => Tensor._wrap({ kind: 'concrete', array: new HostArrayOnDevice(entry.device, entry.func.outputs[i]!.aval, h, committed) }));
    return treeUnflatten<R>(entry.outTree, tensors);
  };

  return Object.assign(call, {
    lower: (...args: A) => {
      const { abstract } = prepare(args);
      return traceToFunc(f as (...a: never[]) => unknown, abstract, { name: f.name || 'jit' }).func;
    },
    stats: () => stats,
  });
}

/** Where a call runs: the device of committed arguments, else of the first, else the default. */
function placement(args: readonly Tensor[]): Device {
  const arrays = args.map(arrayOf);
  return (arrays.find((a) => a.committed) ?? arrays[0])?.device ?? defaultDevice();
}

function arrayOf(t: Tensor): DeviceArray {
  const v = t._value;
  if (v.kind !== 'concrete') throw new TraceError('jit: arguments must be concrete tensors');
  return v.array;
}

/** A donated tensor's buffer now belongs to a result: reading it is an error, as in JAX. */
function markDonated(t: Tensor): void {
  const a = arrayOf(t);
  if (a instanceof HostArrayOnDevice) a.markDeleted('it was donated to a jitted function, which may have reused its buffer; use the result instead');
}

