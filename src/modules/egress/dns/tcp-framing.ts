/** DNS over TCP: every message is preceded by its length as two bytes (RFC 1035 4.2.2). */
export const MAX_TCP_MESSAGE = 65_535;

export function frame(message: Buffer): Buffer {
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16BE(message.length, 0);
  return Buffer.concat([length, message]);
}

/** Cuts a byte stream into messages; chunks may end anywhere, even between the two length bytes. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete messages the chunk finished; the rest waits for the next chunk. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: Buffer[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) break;
      messages.push(this.pending.subarray(2, 2 + length));
      this.pending = this.pending.subarray(2 + length);
    }
    return messages;
  }
}
