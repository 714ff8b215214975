// A socket's connection as the trace model records it. A module of its own,
// free of imports: the analysis report (analysis/model.ts) and so the HTML
// report's script, type-checked for the browser, use it.

/** What the trace says of a socket's connection; the analyses add the bytes it carried. */
export interface SocketConnection {
  pid: number;
  fd: number;
  direction: 'accepted' | 'connected' | 'unknown';
  family: string | null;
  local: string | null;
  peer: string | null;
  sentBytes: number;
  receivedBytes: number;
  /** ns from the trace's origin; null when the connection was made before the trace. */
  openedNs: number | null;
}
