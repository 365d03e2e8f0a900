// Eager execution: a primitive applied to concrete arrays outside any trace runs at once on
// the device its operands live on (the default device when it has none). Each backend
// registers how it runs one primitive; the interpreter is always there.
import type { Primitive, PrimitiveParams } from '../compiler/ir/primitives.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import { checkSameDevice, Device, HostArrayOnDevice, type BackendKind, type DeviceArray } from '../runtime/device.ts';
import { evalPrimitive, type HostTensor } from '../runtime/interp/index.ts';

/** How a backend runs one primitive on arrays of its device. */
export interface EagerBackend {
  readonly device: Device;
  /** Runs a primitive on arrays of this device; results are committed when `committed`. */
  run<P extends Primitive>(prim: P, params: PrimitiveParams[P], inputs: readonly DeviceArray[], committed: boolean): DeviceArray[];
  /** An array of this device holding `h` (copied when the device is not the host). */
  fromHost(h: HostTensor, committed?: boolean): DeviceArray;
}

const interpDevice = new Device('interp');

const interpBackend: EagerBackend = {
  device: interpDevice,
  run: (prim, params, inputs, committed) =>
    evalPrimitive(prim, params, inputs.map((a) => a.toHost())).map((h) => new HostArrayOnDevice(interpDevice, h.aval, h.data, committed)),
  fromHost: (h, committed) => new HostArrayOnDevice(interpDevice, h.aval, h.data, committed),
};

const backends = new Map<BackendKind, EagerBackend>([['interp', interpBackend]]);
let defaultKind: BackendKind = 'interp';

/** Why a backend is not available; `quiet`: nothing to report unless it was asked for (no such hardware). */
export interface Unavailable {
  readonly reason: string;
  readonly quiet?: boolean;
}

const KINDS: readonly BackendKind[] = ['interp', 'cpu', 'cuda', 'vulkan'];

/**
 * Registers the backends present on this machine and picks the default device:
 * KILN_BACKEND if set, else the best present. When the backend asked for (KILN_BACKEND, or a
 * better one that is there but unusable) is not available, says once on stderr which backend
 * is used instead and why. Called once when Kiln is imported.
 */
export function initBackends(extra: readonly EagerBackend[], unavailable: Partial<Record<BackendKind, Unavailable>> = {}): void {
  for (const b of extra) backends.set(b.device.kind, b);
  const best: BackendKind[] = ['cuda', 'vulkan', 'cpu', 'interp'];
  const fallback = best.find((k) => backends.has(k))!;
  const why = (k: BackendKind) => (unavailable[k] ? ` (${unavailable[k]!.reason})` : '');
  const want = process.env.KILN_BACKEND as BackendKind | undefined;
  if (want) {
    if (!KINDS.includes(want)) throw new KilnError(`KILN_BACKEND=${want} is not a backend (backends: ${KINDS.join(', ')})`);
    defaultKind = backends.has(want) ? want : fallback;
    if (defaultKind !== want) process.stderr.write(`kiln: KILN_BACKEND=${want} is not available${why(want)}; using ${fallback}\n`);
    return;
  }
  defaultKind = fallback;
  const passed = best.slice(0, best.indexOf(fallback)).find((k) => unavailable[k] && !unavailable[k]!.quiet);
  if (passed) process.stderr.write(`kiln: ${passed} is not available${why(passed)}; using ${fallback}\n`);
}

/** Makes a backend available; `makeDefault` selects it for new arrays. */
export function registerBackend(b: EagerBackend, makeDefault = false): void {
  backends.set(b.device.kind, b);
  if (makeDefault) defaultKind = b.device.kind;
}

export function backendFor(device: Device): EagerBackend {
  const b = backends.get(device.kind);
  if (!b) throw new KilnError(`no backend is available for device ${device}`);
  return b;
}

export function defaultBackend(): EagerBackend {
  return backends.get(defaultKind)!;
}

export function setDefaultBackend(kind: BackendKind): void {
  if (!backends.has(kind)) throw new KilnError(`backend '${kind}' is not available (available: ${[...backends.keys()].join(', ')})`);
  defaultKind = kind;
}

export function availableBackends(): EagerBackend[] {
  return [...backends.values()];
}

/** A host tensor as an array of the default device. */
export function onDefaultDevice(h: HostTensor): DeviceArray {
  return defaultBackend().fromHost(h);
}

function sameDevice(a: Device, b: Device): boolean {
  return a.kind === b.kind && a.index === b.index;
}

export function runEager<P extends Primitive>(prim: P, params: PrimitiveParams[P], inputs: readonly DeviceArray[]): DeviceArray[] {
  const device = checkSameDevice(prim, inputs);
  const backend = device ? backendFor(device) : defaultBackend();
  // Uncommitted operands elsewhere follow the committed ones.
  const moved = inputs.map((a) => (sameDevice(a.device, backend.device) ? a : backend.fromHost(a.toHost())));
  return backend.run(prim, params, moved, inputs.some((a) => a.committed));
}
