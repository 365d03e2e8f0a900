// The one error class of artifacts: a file that cannot be trusted or used, or a call that does
// not match an entry's signature. `code` says which, for callers that react to the kind.
import { KilnError } from '../../compiler/ir/errors.ts';

/** What went wrong with an artifact or a call of one (ArtifactError's `code`). */
export type ArtifactErrorCode =
  /** Shorter than its header says (an interrupted copy or download). */
  | 'truncated'
  /** Not a Kiln artifact at all. */
  | 'bad-magic'
  /** The SHA-256 over the file does not match: corrupted bytes. */
  | 'checksum'
  /** Written in a format version this Kiln does not read (newer or older). */
  | 'version'
  /** Built for a target this runtime cannot run (a CUDA artifact without a GPU, another OS). */
  | 'target'
  /** The manifest or a section is structurally invalid. */
  | 'malformed'
  /** No entry of that name. */
  | 'missing-entry'
  /** Inputs of the wrong shape, dtype or count, or unknown ones. */
  | 'bad-input'
  /** A weight an entry binds is not in the artifact. */
  | 'missing-weight'
  /** The packaging request is inconsistent (signatures that disagree with the function). */
  | 'bad-spec'
  /** A backend or file the artifact needs is not available (no CUDA runtime, unreadable file). */
  | 'unavailable';

/**
 * An artifact that cannot be trusted or used (truncated, corrupted, malformed, built for another
 * target) or a call that does not match an entry's signature; `code` says which.
 */
export class ArtifactError extends KilnError {
  override name = 'ArtifactError';
  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
  ) {
    super(message);
  }
}
