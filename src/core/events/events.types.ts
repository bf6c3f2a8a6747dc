/** One event as every subscriber sees it, on the publishing node and on every other. */
export interface BusEvent<P = unknown> {
  /** A UUID, unique per publish. */
  id: string;
  topic: string;
  /** The published value after a JSON round trip, so local and remote subscribers see the same thing. */
  payload: P;
  /** The node id of the publisher. */
  origin: string;
  /** ISO-8601 UTC, from the publisher's clock. */
  published_at: string;
}

/** A throw or a rejection is logged and does not affect other subscribers or the publisher. */
export type EventHandler = (event: BusEvent) => void | Promise<void>;
