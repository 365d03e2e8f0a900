// Devices as the book's section 5.6 uses them: list them, pick one, move tensors between them.
import { KilnError } from '../compiler/ir/errors.ts';
import { Device, type BackendKind } from '../runtime/device.ts';
import { availableBackends, backendFor, defaultBackend, setDefaultBackend } from './eager.ts';
import { Tensor } from './tensor.ts';

/** The devices present, best first (GPUs, then the compiled CPU backend, then the interpreter). */
export function devices(): Device[] {
  const order: BackendKind[] = ['cuda', 'vulkan', 'cpu', 'interp'];
  return availableBackends()
    .map((b) => b.device)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** The device new tensors are created on (set by KILN_BACKEND, else the best present). */
export function defaultDevice(): Device {
  return defaultBackend().device;
}

/** Makes `d` (or the device named like `cpu:0`, `interp`) the default device. */
export function setDefaultDevice(d: Device | string): void {
  setDefaultBackend(device(d).kind);
}

/** The device named like `cpu`, `cpu:0`, `cuda:0`; a clear error when it is not present. */
export function device(name: Device | string): Device {
  if (name instanceof Device) return name;
  const [kind, idx] = name.split(':');
  const found = devices().find((d) => d.kind === kind && (idx === undefined || d.index === Number(idx)));
  if (!found) throw new KilnError(`device '${name}' is not present (present: ${devices().join(', ')})`);
  return found;
}

/** A copy of `x` on device `d` (x itself when it is already there, or while tracing). */
export function toDevice<T extends Tensor>(x: T, d: Device | string): T {
  const dev = device(d);
  const v = x._value;
  if (v.kind !== 'concrete') return x;
  const h = v.array.toHost();
  const same = v.array.device.kind === dev.kind && v.array.device.index === dev.index;
  if (same && v.array.committed) return x;
  return Tensor._wrap({ kind: 'concrete', array: backendFor(dev).fromHost({ aval: h.aval, data: same ? h.data : h.data.slice() }, true) }) as T;
}
