/**
 * A handler's result already serialised: the route runner sends the text as the JSON body instead of calling
 * JSON.stringify on a value. For large bodies whose text is kept in parts (an egress policy of a thousand groups is
 * 2 MiB, and a write changes one group of it). The text must be what JSON.stringify of the value would give.
 */
export class JsonText {
  constructor(readonly text: string) {}

  /** Anything else that serialises it (a log line, a test) sees the value. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
