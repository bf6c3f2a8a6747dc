/** The slice of ASN.1 DER the v2 certificate needs: definite minimal lengths, single-byte tags, INTEGER. */
import { errors } from '../../errors.js';

export function derElement(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const content = Buffer.concat(contents);
  return Buffer.concat([Uint8Array.of(tag), derLength(content.length), content]);
}

/** A non-negative INTEGER's content octets: big-endian, minimal, with a leading 0 when the top bit is set. */
export function derUnsignedInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER: cannot encode ${value}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(value % 256);
    value = Math.floor(value / 256);
  } while (value > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

export function parseDerUnsignedInteger(content: Uint8Array): number {
  const minimal = content.length === 1 || !(content[0] === 0 && content[1] < 0x80);
  if (content.length === 0 || !minimal || content[0] & 0x80) throw malformed('integer is not a minimal non-negative INTEGER');
  const value = content.reduce((n, byte) => n * 256 + byte, 0);
  if (!Number.isSafeInteger(value)) throw malformed('integer out of range');
  return value;
}

/** Reads TLVs in order; `optional` looks at the next tag without consuming a different one. */
export class DerReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  empty(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** The next element's content octets; it must carry `tag`. */
  read(tag: number): Uint8Array {
    return this.next(tag).content;
  }

  /** The next element whole (tag, length and content), e.g. to keep the signed bytes. */
  readElement(tag: number): Uint8Array {
    return this.next(tag).element;
  }

  optional(tag: number): Uint8Array | undefined {
    return !this.empty() && this.bytes[this.offset] === tag ? this.read(tag) : undefined;
  }

  private next(tag: number): { element: Uint8Array; content: Uint8Array } {
    const start = this.offset;
    if (this.empty()) throw malformed(`expected tag 0x${tag.toString(16)}, got end of data`);
    if (this.bytes[start] !== tag) throw malformed(`expected tag 0x${tag.toString(16)}, got 0x${this.bytes[start].toString(16)}`);
    const { length, headerLength } = this.lengthAt(start + 1);
    const end = start + 1 + headerLength + length;
    if (end > this.bytes.length) throw malformed('truncated element');
    this.offset = end;
    return { element: this.bytes.subarray(start, end), content: this.bytes.subarray(start + 1 + headerLength, end) };
  }

  private lengthAt(at: number): { length: number; headerLength: number } {
    const first = this.bytes[at];
    if (first === undefined) throw malformed('truncated length');
    if (first < 0x80) return { length: first, headerLength: 1 };
    const count = first & 0x7f;
    if (count === 0 || count > 4 || at + count >= this.bytes.length) throw malformed('unsupported length');
    const length = this.bytes.subarray(at + 1, at + 1 + count).reduce((n, byte) => n * 256 + byte, 0);
    if (length < 0x80 || this.bytes[at + 1] === 0) throw malformed('non-minimal length');
    return { length, headerLength: 1 + count };
  }
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes = derUnsignedInteger(length).filter((byte, i) => i > 0 || byte !== 0);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

const malformed = (reason: string) => errors.badRequest(`malformed Nebula certificate (v2 DER): ${reason}`);
