/**
 * The slice of proto3 the v1 certificate needs, written the way Go's encoder writes it: fields in number order
 * (the caller's job), zero values omitted, repeated uint32 packed. Byte identity matters: nebula re-marshals the
 * details it parsed to check their signature.
 */
import { errors } from '../../errors.js';

const VARINT = 0;
const LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private readonly bytes: number[] = [];

  /** Non-negative integers only: certificate fields never hold negative values. */
  uint(field: number, value: number): this {
    if (value !== 0) this.key(field, VARINT).varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.uint(field, value ? 1 : 0);
  }

  bytesField(field: number, value: Uint8Array): this {
    if (value.length > 0) this.lengthDelimited(field, value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  repeatedString(field: number, values: string[]): this {
    for (const value of values) this.lengthDelimited(field, Buffer.from(value, 'utf8'));
    return this;
  }

  packedUint32(field: number, values: number[]): this {
    if (values.length === 0) return this;
    const packed = new ProtoWriter();
    for (const value of values) packed.varint(value);
    return this.lengthDelimited(field, packed.finish());
  }

  /** An embedded message is written even when empty: proto3 omits only unset messages. */
  message(field: number, value: Uint8Array): this {
    return this.lengthDelimited(field, value);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private lengthDelimited(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED).varint(value.length);
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  private key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  private varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: cannot encode ${value} as a varint`);
    while (value >= 0x80) {
      this.bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.bytes.push(value);
    return this;
  }
}

export type ProtoField = { field: number; wireType: typeof VARINT; value: number } | { field: number; wireType: typeof LENGTH_DELIMITED; value: Uint8Array };

/** Every field of a message in wire order; any other wire type (fixed32/64, groups) is malformed here. */
export function readFields(buffer: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  const cursor = { buffer, offset: 0 };
  while (cursor.offset < buffer.length) {
    const key = readVarint(cursor);
    const [field, wireType] = [Math.floor(key / 8), key % 8];
    if (field === 0) throw malformed('field number 0');
    if (wireType === VARINT) fields.push({ field, wireType, value: readVarint(cursor) });
    else if (wireType === LENGTH_DELIMITED) fields.push({ field, wireType, value: readLengthDelimited(cursor) });
    else throw malformed(`unexpected wire type ${wireType} for field ${field}`);
  }
  return fields;
}

/** Values of a repeated uint32, which proto3 decoders accept packed or one field at a time. */
export function uint32Values(field: ProtoField): number[] {
  if (field.wireType === VARINT) return [field.value];
  const cursor = { buffer: field.value, offset: 0 };
  const values: number[] = [];
  while (cursor.offset < field.value.length) values.push(readVarint(cursor));
  return values;
}

interface Cursor {
  buffer: Uint8Array;
  offset: number;
}

function readVarint(cursor: Cursor): number {
  let [value, scale] = [0, 1];
  for (let i = 0; i < 10; i++) {
    if (cursor.offset >= cursor.buffer.length) throw malformed('truncated varint');
    const byte = cursor.buffer[cursor.offset++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value)) throw malformed('varint out of range');
      return value;
    }
    scale *= 0x80;
  }
  throw malformed('varint longer than 10 bytes');
}

function readLengthDelimited(cursor: Cursor): Uint8Array {
  const length = readVarint(cursor);
  const end = cursor.offset + length;
  if (end > cursor.buffer.length) throw malformed('truncated length-delimited field');
  const value = cursor.buffer.subarray(cursor.offset, end);
  cursor.offset = end;
  return value;
}

function malformed(reason: string) {
  return errors.badRequest(`malformed Nebula certificate (protobuf): ${reason}`);
}
