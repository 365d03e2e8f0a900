// Cubins (SASS for one GPU architecture, as ptxas writes them) beside a module's PTX: how to
// recognise one, and whether a device runs it. Pure functions: no driver is loaded here, so the
// compiler and the artifact reader may use them.

/** The first bytes of every ELF file, hence of every cubin. */
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
/** An ELF64 header alone has 64 bytes. */
export const MIN_CUBIN_BYTES = 64;

/** Whether `bytes` can be a cubin: long enough for an ELF64 header and starting with `\x7fELF`. */
export function isCubin(bytes: Uint8Array): boolean {
  return bytes.length >= MIN_CUBIN_BYTES && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** The compute capability `sm_NN` (or `sm_NNa`) names, e.g. sm_90 → [9, 0]; null if malformed. */
export function archCapability(arch: string): readonly [number, number] | null {
  const m = /^sm_(\d{1,2})(\d)[a-z]?$/.exec(arch);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Whether a cubin built for `arch` is for a device of compute capability `cc` (exactly). */
export function cubinRunsOn(arch: string, cc: readonly [number, number]): boolean {
  const a = archCapability(arch);
  return a !== null && a[0] === cc[0] && a[1] === cc[1];
}
