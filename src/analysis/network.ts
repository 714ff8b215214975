// Network: connections accepted and made (from accept/accept4/connect, and
// sockets that carried bytes), their peers where the trace says, and bytes
// sent and received per connection and process.

import type { OpenFile, SocketConnection } from '../model/entities.js';
import type { EventClassInfo } from '../model/event-class-info.js';
import type { EventView } from '../model/event-view.js';
import type { SystemTracker } from '../model/tracker.js';
import type { Connection, NetworkResult } from './model.js';
import { topBy, type AnalysisContext, type AnalysisHandler, type AnalysisModule, type Ending, type EventFunction } from './registry.js';

/** Connections listed in the report, the busiest first; the totals count them all. */
const MAX_LISTED_CONNECTIONS = 1000;

interface Finished {
  connection: SocketConnection;
  closedNs: number | null;
  path: string | null;
}

export const networkAnalysis: AnalysisModule<'network'> = {
  name: 'network',
  deps: [],
  create: (context: AnalysisContext) => new NetworkAnalysis(context.model),
};

class NetworkAnalysis implements AnalysisHandler<'network', never> {
  private readonly finished: Finished[] = [];
  private accepted = 0;
  private connected = 0;
  private readonly byProcess = new Map<number, { sentBytes: number; receivedBytes: number; connections: number }>();

  constructor(private readonly model: SystemTracker) {
    model.onRelease((file, timeNs) => this.released(file, timeNs));
  }

  bind(info: EventClassInfo): EventFunction | null {
    return info.role === 'exit' ? (view) => this.exit(view) : null;
  }

  private exit(view: EventView): void {
    const made = view.connectedFile;
    if (made) {
      if (made.connection!.direction === 'accepted') this.accepted++;
      else this.connected++;
    }
    const read = view.readFile;
    if (read && read.kind === 'socket') this.connectionOf(read, view).receivedBytes += view.readBytes;
    const write = view.writeFile;
    if (write && write.kind === 'socket') this.connectionOf(write, view).sentBytes += view.writeBytes;
  }

  private connectionOf(file: OpenFile, view: EventView): SocketConnection {
    file.connection ??= {
      pid: this.model.processOf(view.thread).pid,
      fd: view.entry?.a ?? -1,
      direction: 'unknown',
      family: null,
      local: null,
      peer: null,
      sentBytes: 0,
      receivedBytes: 0,
      openedNs: null,
    };
    return file.connection;
  }

  private released(file: OpenFile, timeNs: number): void {
    const connection = file.connection;
    if (!connection) return;
    // A statedump after the accept or connect can name what the syscall recorded only as a pointer.
    if (file.socket) {
      connection.family ??= file.socket.protocol || null;
      connection.local ??= file.socket.local;
      connection.peer ??= file.socket.peer;
    }
    this.finished.push({ connection, closedNs: this.model.ending ? null : timeNs, path: file.path });
    let process = this.byProcess.get(connection.pid);
    if (!process) {
      process = { sentBytes: 0, receivedBytes: 0, connections: 0 };
      this.byProcess.set(connection.pid, process);
    }
    process.sentBytes += connection.sentBytes;
    process.receivedBytes += connection.receivedBytes;
    process.connections++;
    // Keep the list bounded: drop the quietest when it doubles.
    if (this.finished.length >= 2 * MAX_LISTED_CONNECTIONS) this.trim();
  }

  private trim(): void {
    const kept = topBy(this.finished, (f) => f.connection.sentBytes + f.connection.receivedBytes, MAX_LISTED_CONNECTIONS);
    this.finished.length = 0;
    this.finished.push(...kept);
  }

  finalize(end: Ending): NetworkResult {
    this.trim();
    const connections: Connection[] = this.finished.map(({ connection: c, closedNs, path }) => ({
      pid: c.pid,
      process: end.processRef(c.pid).name,
      fd: c.fd,
      direction: c.direction,
      family: c.family,
      local: c.local ?? (path && !path.startsWith('socket:[') ? path : null),
      peer: c.peer,
      sentBytes: c.sentBytes,
      receivedBytes: c.receivedBytes,
      openedNs: end.clock.absolute(c.openedNs),
      closedNs: end.clock.absolute(closedNs),
    }));
    return {
      accepted: this.accepted,
      connected: this.connected,
      connections,
      byProcess: topBy(this.byProcess, ([, p]) => p.sentBytes + p.receivedBytes).map(([pid, p]) => ({ ...end.processRef(pid), ...p })),
    };
  }

  notes(result: NetworkResult): string[] {
    const withoutPeer = result.connections.filter((c) => c.peer === null).length;
    if (withoutPeer === 0) return [];
    return [
      `${withoutPeer} of ${result.connections.length} connections have no peer address ` +
        '(unix sockets, or the trace records no sockaddr and no statedump named the socket)',
    ];
  }
}
