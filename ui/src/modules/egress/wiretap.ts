import { useEffect, useRef, useState } from 'react';
import { streamTicket } from './api';

export interface Flow {
  flow_id: string;
  proto: number;
  src_ip: string;
  dst_ip: string;
  src_port: number | null;
  dst_port: number | null;
  packets_out: number;
  packets_in: number;
  last_seen: number;
  hostname: string | null;
  node_id: string;
}
export interface WiretapEvent {
  /** Unique per event on this page (a flow reports many times). */
  key: number;
  type: 'flow' | 'flow_end';
  flow: Flow;
}
export type WiretapFilters = Partial<Record<'src_cidr' | 'dst_cidr' | 'hostname' | 'proto' | 'dst_port', string>>;
export type StreamState = 'connecting' | 'open' | 'reconnecting';

const KEEP = 200;
const RETRY_MS = 3000;

/**
 * The wiretap's server-sent events, newest first (the last 200). Each connection spends a fresh ticket, since a
 * ticket is single-use and EventSource's own reconnect would replay the spent one; so a dropped stream is closed
 * and opened again here. While paused, events are counted but not shown.
 */
export function useWiretap(filters: WiretapFilters, paused: boolean) {
  const [events, setEvents] = useState<WiretapEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [missed, setMissed] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let next = 0;
    const receive = (type: WiretapEvent['type']) => (e: MessageEvent) => {
      if (pausedRef.current) return setMissed((n) => n + 1);
      const event = { key: next++, type, flow: JSON.parse(e.data) as Flow };
      setEvents((list) => [event, ...list].slice(0, KEEP));
    };
    const connect = async () => {
      try {
        const query = new URLSearchParams({ ...given(filters), ticket: await streamTicket() });
        if (stopped) return;
        source = new EventSource(`/api/v1/wiretap/stream?${query}`);
        source.onopen = () => setState('open');
        source.addEventListener('flow', receive('flow'));
        source.addEventListener('flow_end', receive('flow_end'));
        source.onerror = () => reconnect();
      } catch {
        reconnect();
      }
    };
    const reconnect = () => {
      source?.close();
      if (stopped) return;
      setState('reconnecting');
      retry = setTimeout(connect, RETRY_MS);
    };
    setState('connecting');
    void connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [JSON.stringify(filters)]);

  useEffect(() => {
    if (!paused) setMissed(0);
  }, [paused]);

  return { events, state, missed, clear: () => setEvents([]) };
}

/** The filters with a value, trimmed. */
function given(filters: WiretapFilters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v && v.trim() !== '').map(([k, v]) => [k, v!.trim()]));
}
