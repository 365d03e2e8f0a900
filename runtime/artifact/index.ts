// Artifacts: ahead-of-time compiled entries with their kernels and weights in one file.
export { ArtifactError, type ArtifactErrorCode } from './errors.ts';
export { FORMAT_VERSION, MAGIC, decodeHeader, type ContainerHeader } from './container.ts';
export { decodeArtifact, encodeArtifact, type ArtifactContents, type DecodedArtifact, type HostValue } from './format.ts';
export type { EntrySig, InputSig, KernelSig, KernelTable, Manifest, OutputSig, ParamSig, Target, WeightSig } from './manifest.ts';
export { validateManifest } from './validate.ts';
export { leafPaths, countLeaves, pruneTree, type TreeDesc } from './tree.ts';
export { loadArtifact, readArtifactFile, type EntryInputs, type InputValue, type LoadedArtifact, type LoadOptions } from './load.ts';
export { parseNonFinite, stringifyNonFinite } from './json.ts';
export { KILN_VERSION } from './version.ts';
export { writeArtifact } from './write.ts';
