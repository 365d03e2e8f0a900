// Writing files atomically (stdlib/io's writer: a temporary file renamed over the target).
import { writeAll, writeFileAtomic } from '../../stdlib/io/atomic.ts';
import { ArtifactError } from './errors.ts';

/** Writes `bytes` to `path` atomically: readers see the old file or the new one, never half. */
export function writeArtifact(path: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(path, (fd) => writeAll(fd, bytes));
  } catch (e) {
    throw new ArtifactError('unavailable', `cannot write ${path}: ${(e as Error).message}`);
  }
}
