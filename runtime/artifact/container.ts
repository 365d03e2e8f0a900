// The byte layout of an artifact file (see docs/ARTIFACTS.md): a fixed header, length-prefixed
// sections, and a SHA-256 over everything before it. This module only frames bytes; what the
// sections hold is format.ts's business. Every length and offset is checked before use.
import { createHash } from 'node:crypto';
import { ArtifactError } from './errors.ts';
import { TARGETS, type Target } from './manifest.ts';

/** The first 8 bytes of every artifact. */
export const MAGIC = 'KILNAOT\0';
/** The layout version this Kiln writes and reads. */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 48;
export const SECTION_HEADER_BYTES = 16;
export const CHECKSUM_BYTES = 32;
const VERSION_FIELD = 16;

/** Section tags, in the order they are written. */
export const SECTION_TAGS = ['MANI', 'KERN', 'CUBN', 'WGHT', 'IRTX'] as const;
export type SectionTag = (typeof SECTION_TAGS)[number];

export interface ContainerHeader {
  readonly formatVersion: number;
  readonly target: Target;
  /** The Kiln version that wrote the file (package.json's). */
  readonly kilnVersion: string;
  readonly fileBytes: number;
}

export interface Container {
  readonly header: ContainerHeader;
  readonly sections: ReadonlyMap<SectionTag, Uint8Array>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Frames `sections` (in SECTION_TAGS order) under a header, and appends the checksum. */
export function encodeContainer(target: Target, kilnVersion: string, sections: ReadonlyMap<SectionTag, Uint8Array>): Uint8Array {
  const version = Buffer.from(kilnVersion, 'utf8');
  if (version.length > VERSION_FIELD) throw new ArtifactError('bad-spec', `Kiln version '${kilnVersion}' is longer than ${VERSION_FIELD} bytes`);
  const present = SECTION_TAGS.filter((t) => sections.has(t));
  const body = present.reduce((n, t) => n + SECTION_HEADER_BYTES + sections.get(t)!.length, 0);
  const total = HEADER_BYTES + body + CHECKSUM_BYTES;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint8(12, TARGETS.indexOf(target));
  out.set(version, 16);
  dv.setBigUint64(32, BigInt(total), true);
  dv.setUint32(40, present.length, true);
  let off = HEADER_BYTES;
  for (const t of present) {
    const s = sections.get(t)!;
    out.set(Buffer.from(t, 'latin1'), off);
    dv.setBigUint64(off + 8, BigInt(s.length), true);
    out.set(s, off + SECTION_HEADER_BYTES);
    off += SECTION_HEADER_BYTES + s.length;
  }
  out.set(createHash('sha256').update(out.subarray(0, off)).digest(), off);
  return out;
}

/** Reads the fixed header (what `kiln inspect` can show even of a damaged file). */
export function decodeHeader(bytes: Uint8Array, what: string): ContainerHeader {
  if (bytes.length < 8 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) {
    if (bytes.length < 8 && Buffer.from(MAGIC, 'latin1').subarray(0, bytes.length).equals(Buffer.from(bytes))) {
      throw new ArtifactError('truncated', `${what}: truncated: ${bytes.length} bytes, too short for an artifact header`);
    }
    throw new ArtifactError('bad-magic', `${what}: not a Kiln artifact (it does not start with the bytes 'KILNAOT')`);
  }
  if (bytes.length < HEADER_BYTES) throw new ArtifactError('truncated', `${what}: truncated: ${bytes.length} bytes, the header alone has ${HEADER_BYTES}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = dv.getUint32(8, true);
  const vbytes = bytes.subarray(16, 16 + VERSION_FIELD);
  const end = vbytes.indexOf(0);
  const kilnVersion = Buffer.from(vbytes.subarray(0, end < 0 ? VERSION_FIELD : end)).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
  if (formatVersion !== FORMAT_VERSION) {
    throw new ArtifactError(
      'version',
      `${what}: artifact format version ${formatVersion} (written by Kiln ${kilnVersion || '?'}) is not supported: this Kiln reads format version ${FORMAT_VERSION}; ` +
        (formatVersion > FORMAT_VERSION ? 'use a newer Kiln to run it' : 'compile the model again with this Kiln (kiln compile)'),
    );
  }
  const code = dv.getUint8(12);
  const target = TARGETS[code];
  if (target === undefined) throw new ArtifactError('malformed', `${what}: unknown target code ${code} in the header`);
  if (dv.getUint8(13) | dv.getUint8(14) | dv.getUint8(15) | dv.getUint32(44, true)) throw new ArtifactError('malformed', `${what}: reserved header bytes are not zero`);
  const declared = dv.getBigUint64(32, true);
  if (declared !== BigInt(bytes.length)) {
    if (declared > BigInt(bytes.length)) throw new ArtifactError('truncated', `${what}: truncated: the header declares ${declared} bytes, the file has ${bytes.length}`);
    throw new ArtifactError('malformed', `${what}: ${BigInt(bytes.length) - declared} bytes after the end the header declares (${declared} bytes)`);
  }
  return { formatVersion, target, kilnVersion, fileBytes: bytes.length };
}

/** Checks the header and checksum, then splits the sections; throws an ArtifactError naming the fault. */
export function decodeContainer(bytes: Uint8Array, what: string): Container {
  const header = decodeHeader(bytes, what);
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) throw new ArtifactError('truncated', `${what}: truncated: no room for the checksum`);
  const end = bytes.length - CHECKSUM_BYTES;
  const digest = createHash('sha256').update(bytes.subarray(0, end)).digest();
  if (!digest.equals(Buffer.from(bytes.subarray(end)))) {
    throw new ArtifactError('checksum', `${what}: checksum mismatch: the file is corrupted (its SHA-256 does not match the one it carries)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(40, true);
  if (count > SECTION_TAGS.length) throw new ArtifactError('malformed', `${what}: ${count} sections declared; the format has at most ${SECTION_TAGS.length}`);
  const sections = new Map<SectionTag, Uint8Array>();
  let off = HEADER_BYTES;
  let last = -1;
  for (let i = 0; i < count; i++) {
    if (off + SECTION_HEADER_BYTES > end) throw new ArtifactError('malformed', `${what}: section ${i} starts past the end of the sections`);
    const tag = Buffer.from(bytes.subarray(off, off + 4)).toString('latin1');
    const order = (SECTION_TAGS as readonly string[]).indexOf(tag);
    if (order < 0) throw new ArtifactError('malformed', `${what}: unknown section '${tag.replace(/[^\x20-\x7e]/g, '?')}' at byte ${off}`);
    if (order <= last) throw new ArtifactError('malformed', `${what}: section ${tag} is repeated or out of order`);
    last = order;
    if (dv.getUint32(off + 4, true) !== 0) throw new ArtifactError('malformed', `${what}: section ${tag}: reserved bytes are not zero`);
    const len = dv.getBigUint64(off + 8, true);
    const start = off + SECTION_HEADER_BYTES;
    if (len > BigInt(end - start)) throw new ArtifactError('malformed', `${what}: section ${tag} declares ${len} bytes, only ${end - start} remain`);
    sections.set(tag as SectionTag, bytes.subarray(start, start + Number(len)));
    off = start + Number(len);
  }
  if (off !== end) throw new ArtifactError('malformed', `${what}: ${end - off} stray bytes after the last section`);
  return { header, sections };
}
