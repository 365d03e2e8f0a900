// The public API of artifacts (`k.loadArtifact`): the runtime's loader with tensors in and out.
// This layer imports the DSL (Tensor); runtime/artifact/load.ts itself does not, so a deployed
// model can use the loader alone.
import { onDefaultDevice } from '../../dsl/eager.ts';
import { Tensor } from '../../dsl/tensor.ts';
import type { EntrySig, Manifest, Target } from './manifest.ts';
import { loadArtifact as loadRaw, type EntryInputs, type LoadedArtifact, type LoadOptions } from './load.ts';
import type { HostValue } from './format.ts';

/** A loaded artifact whose entries take and return tensors. */
export interface Artifact {
  readonly target: Target;
  readonly manifest: Manifest;
  readonly entries: readonly EntrySig[];
  /** The loader underneath (host arrays in and out). */
  readonly raw: LoadedArtifact;
  /**
   * Runs entry `name` on its arguments: an array (the argument tree; leaves bound to weights
   * left out) or a record by input path. Leaves are tensors, typed arrays or `{ dtype, shape,
   * data }`. Returns the result tree of tensors (a record by output path without one).
   */
  call(name: string, inputs: EntryInputs): unknown;
  /** Entry `name` as a function of its arguments, e.g. `m.fn('predict')(undefined, x)`. */
  fn(name: string): (...args: unknown[]) => unknown;
  /** Frees the artifact's device resources; later calls fail. */
  dispose(): void;
}

/** Tensors anywhere in a tree of inputs become host values (copies, so donation never touches them). */
function hostLeaves(v: unknown): unknown {
  if (v instanceof Tensor) return { dtype: v.dtype, shape: v.shape, data: v.data() } satisfies HostValue;
  if (Array.isArray(v)) return v.map(hostLeaves);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !('data' in v && 'dtype' in v && 'shape' in v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hostLeaves(x)]));
  }
  return v;
}

function toTensor(h: HostValue): Tensor {
  return Tensor._wrap({ kind: 'concrete', array: onDefaultDevice({ aval: { shape: [...h.shape], dtype: h.dtype }, data: h.data }) });
}

function tensorLeaves(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(tensorLeaves);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('data' in o && 'dtype' in o && 'shape' in o && ArrayBuffer.isView(o.data)) return toTensor(o as unknown as HostValue);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, tensorLeaves(x)]));
  }
  return v;
}

/** Loads an artifact (a path or its bytes) for calling its entries on tensors. */
export async function loadArtifact(src: string | Uint8Array, opts: LoadOptions = {}): Promise<Artifact> {
  const raw = await loadRaw(src, opts);
  const call = (name: string, inputs: EntryInputs): unknown => tensorLeaves(raw.callTree(name, hostLeaves(inputs) as EntryInputs));
  return {
    target: raw.target,
    manifest: raw.manifest,
    entries: raw.entries,
    raw,
    call,
    fn: (name) => {
      raw.entry(name); // a missing entry is reported now
      return (...args) => call(name, args);
    },
    dispose: () => raw.dispose(),
  };
}
