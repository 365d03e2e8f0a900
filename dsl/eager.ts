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

/**
 * Registers the backends present on this machine and picks the default device:
 * KILN_BACKEND if set, else the best present. Called once when Kiln is imported.
 */
export function initBackends(extra: readonly EagerBackend[]): void {
  for (const b of extra) backends.set(b.device.kind, b);
  const want = process.env.KILN_BACKEND as BackendKind | undefined;
  if (want) {
    if (!backends.has(want)) throw new KilnError(`KILN_BACKEND=${want}, but that backend is not available (available: ${[...backends.keys()].join(', ')})`);
    defaultKind = want;
    return;
  }
  const best: BackendKind[] = ['cuda', 'vulkan', 'cpu', 'interp'];
  defaultKind = best.find((k) => backends.has(k))!;
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
