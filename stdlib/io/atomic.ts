// Atomic file writes: the data goes to a temporary file in the target's folder, is flushed to
// disk, and is renamed over the target, so a reader sees the old file or the new one, never a
// half-written one. A failure removes the temporary file and leaves the old file as it was.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The temporary name used while writing `file` (a hidden file in the same folder). */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes `file` atomically: `write(fd)` writes the contents to a temporary file (with
 * fs.writeSync), which is then synced and renamed over `file`.
 */
export function writeFileAtomic(file: string, write: (fd: number) => void): void {
  const target = path.resolve(file);
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes all of `bytes` at the current position of `fd`. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes a text file atomically. */
export function writeTextAtomic(file: string, text: string): void {
  writeFileAtomic(file, (fd) => writeAll(fd, Buffer.from(text, 'utf8')));
}
