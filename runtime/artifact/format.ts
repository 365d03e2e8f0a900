// An artifact's contents to bytes and back: the manifest (JSON, non-finite numbers kept), the
// kernels (a shared object, PTX text or SPIR-V modules; for CUDA maybe a cubin too), the
// weights (safetensors) and the printed IR, framed by container.ts. Decoding validates everything and cross-checks the sections against the
// manifest, so what it returns can be used as is.
import type { DType, HostArray } from '../../compiler/ir/dtype.ts';
import { sameAval } from '../../compiler/ir/ir.ts';
import { deserialize, SafetensorsError, serialize, encodeData } from '../../stdlib/io/safetensors.ts';
import { decodeContainer, encodeContainer, sha256Hex, type ContainerHeader, type SectionTag } from './container.ts';
import { isCubin } from '../cuda/cubin.ts';
import { ArtifactError } from './errors.ts';
import { parseNonFinite, stringifyNonFinite } from './json.ts';
import type { CubinSig, EntrySig, KernelTable, Manifest, Target, WeightSig } from './manifest.ts';
import { validateManifest } from './validate.ts';
import { checkSpirv } from './vulkan.ts';
import { KILN_VERSION } from './version.ts';

/** A host array with its shape and dtype (f16 and bf16 held as f32, bool as bytes). */
export interface HostValue {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

/** What goes into an artifact; the kernels' size and hash and the weights' summary are derived. */
export interface ArtifactContents {
  readonly target: Target;
  readonly entries: readonly EntrySig[];
  readonly kernelTable: Omit<KernelTable, 'bytes' | 'sha256'>;
  /** The shared object's bytes (cpu), the PTX text's UTF-8 bytes (cuda), or the SPIR-V modules (vulkan, see vulkan.ts). */
  readonly kernels: Uint8Array;
  /** CUDA: the PTX assembled for `arch` (see CudaModule.cubin), stored in its own section. */
  readonly cubin?: { readonly arch: string; readonly image: Uint8Array };
  readonly weights?: ReadonlyMap<string, { readonly dtype: DType; readonly shape: readonly number[]; readonly data: ArrayLike<number> }>;
  /** The printed graph IR of the entries (a module of functions named as the entries). */
  readonly ir?: string;
}

export interface DecodedArtifact {
  readonly header: ContainerHeader;
  readonly manifest: Manifest;
  readonly kernels: Uint8Array;
  /** CUDA: the cubin section, checked against the manifest's `kernels.cubin`. */
  readonly cubin?: Uint8Array;
  readonly weights: ReadonlyMap<string, HostValue>;
  readonly ir?: string;
  /** Bytes of each section present. */
  readonly sectionBytes: ReadonlyMap<SectionTag, number>;
}

export function encodeArtifact(c: ArtifactContents, kilnVersion = KILN_VERSION): Uint8Array {
  const weights = [...(c.weights ?? new Map())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const manifest: Manifest = {
    entries: c.entries,
    kernels: {
      ...c.kernelTable,
      bytes: c.kernels.length,
      sha256: sha256Hex(c.kernels),
      ...(c.cubin && { cubin: { arch: c.cubin.arch, bytes: c.cubin.image.length, sha256: sha256Hex(c.cubin.image) } }),
    },
    weights: weights.map(([name, w]): WeightSig => ({ name, dtype: w.dtype, shape: [...w.shape] })),
  };
  // What is written must read back: the same validation as the loader's, before anything is written.
  validateManifest(parseNonFinite(stringifyNonFinite(manifest)), c.target);
  const sections = new Map<SectionTag, Uint8Array>([
    ['MANI', Buffer.from(stringifyNonFinite(manifest), 'utf8')],
    ['KERN', c.kernels],
  ]);
  if (c.cubin) {
    if (!isCubin(c.cubin.image)) throw new ArtifactError('bad-spec', `the cubin for ${c.cubin.arch} is not an ELF image`);
    sections.set('CUBN', c.cubin.image);
  }
  if (weights.length) {
    sections.set('WGHT', serialize(weights.map(([name, w]) => ({ name, dtype: w.dtype, shape: w.shape, bytes: () => encodeData(w.dtype, w.data) }))));
  }
  if (c.ir !== undefined) sections.set('IRTX', Buffer.from(c.ir, 'utf8'));
  return encodeContainer(c.target, kilnVersion, sections);
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ArtifactError('malformed', `${what} is not valid UTF-8`);
  }
}

/** Decodes and validates an artifact held in memory; `what` names it in errors. */
export function decodeArtifact(bytes: Uint8Array, what = 'artifact'): DecodedArtifact {
  const { header, sections } = decodeContainer(bytes, what);
  const mani = sections.get('MANI');
  const kernels = sections.get('KERN');
  if (!mani) throw new ArtifactError('malformed', `${what}: no manifest section`);
  if (!kernels) throw new ArtifactError('malformed', `${what}: no kernels section`);
  let raw: unknown;
  try {
    raw = parseNonFinite(utf8(mani, `${what}: the manifest`));
  } catch (e) {
    if (e instanceof ArtifactError) throw e;
    throw new ArtifactError('malformed', `${what}: the manifest is not valid JSON (${(e as Error).message})`);
  }
  let manifest: Manifest;
  try {
    manifest = validateManifest(raw, header.target);
  } catch (e) {
    if (e instanceof ArtifactError) throw new ArtifactError(e.code, `${what}: ${e.message}`);
    throw e;
  }
  if (kernels.length !== manifest.kernels.bytes || sha256Hex(kernels) !== manifest.kernels.sha256) {
    throw new ArtifactError('malformed', `${what}: the kernels section (${kernels.length} bytes) does not match the manifest's size and SHA-256`);
  }
  if (header.target === 'vulkan') checkSpirv(manifest.kernels, kernels, what);
  const cubin = checkCubin(sections.get('CUBN'), manifest.kernels.cubin, what);
  const weights = decodeWeights(sections.get('WGHT'), manifest.weights, what);
  const irBytes = sections.get('IRTX');
  const ir = irBytes && utf8(irBytes, `${what}: the IR section`);
  const sectionBytes = new Map([...sections].map(([t, s]) => [t, s.length]));
  return { header, manifest, kernels, ...(cubin && { cubin }), weights, ...(ir !== undefined && { ir }), sectionBytes };
}

/** The cubin section, present exactly when the manifest lists one, of its size and hash, an ELF image. */
function checkCubin(bytes: Uint8Array | undefined, sig: CubinSig | undefined, what: string): Uint8Array | undefined {
  if (!bytes && !sig) return undefined;
  if (!bytes) throw new ArtifactError('malformed', `${what}: the manifest lists a cubin for ${sig!.arch} but the file has no cubin section`);
  if (!sig) throw new ArtifactError('malformed', `${what}: the file has a cubin section the manifest does not list`);
  if (bytes.length !== sig.bytes || sha256Hex(bytes) !== sig.sha256) {
    throw new ArtifactError('malformed', `${what}: the cubin section (${bytes.length} bytes) does not match the manifest's size and SHA-256`);
  }
  if (!isCubin(bytes)) throw new ArtifactError('malformed', `${what}: the cubin section is not an ELF image (it does not start with \\x7fELF)`);
  return bytes;
}

function decodeWeights(bytes: Uint8Array | undefined, sigs: readonly WeightSig[], what: string): Map<string, HostValue> {
  if (!bytes) {
    if (sigs.length) throw new ArtifactError('missing-weight', `${what}: the manifest lists ${sigs.length} weights (${sigs.slice(0, 5).map((w) => w.name).join(', ')}) but the file has no weights section`);
    return new Map();
  }
  let tensors: Map<string, HostValue>;
  try {
    tensors = deserialize(bytes, `${what}: weights`).tensors;
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ArtifactError('malformed', e.message);
    throw e;
  }
  for (const w of sigs) {
    const t = tensors.get(w.name);
    if (!t) throw new ArtifactError('missing-weight', `${what}: weight '${w.name}' is in the manifest but not in the weights section`);
    if (!sameAval(t, w)) throw new ArtifactError('malformed', `${what}: weight '${w.name}' is ${t.dtype}[${t.shape.join(',')}] in the weights section, ${w.dtype}[${w.shape.join(',')}] in the manifest`);
  }
  if (tensors.size !== sigs.length) {
    const extra = [...tensors.keys()].filter((n) => !sigs.some((w) => w.name === n));
    throw new ArtifactError('malformed', `${what}: the weights section holds tensors the manifest does not list: ${extra.slice(0, 5).join(', ')}`);
  }
  return tensors;
}
