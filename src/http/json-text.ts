/**
 * A handler's result already serialised: the route runner sends the text as the JSON body instead of calling
 * JSON.stringify on a value. For large bodies whose text is kept in parts (an egress policy of a thousand groups is
 * 2 MiB, and a write changes one group of it). The text must be what JSON.stringify of the value would give; given
 * as UTF-8 bytes, it is sent as they are (no 2 MiB string to measure and encode).
 */
export class JsonText {
  constructor(private readonly body: string | Buffer) {}

  get text(): string {
    return typeof this.body === 'string' ? this.body : this.body.toString('utf8');
  }

  /** What is sent: the text, or its bytes as given. */
  get payload(): string | Buffer {
    return this.body;
  }

  /** Anything else that serialises it (a log line, a test) sees the value. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
