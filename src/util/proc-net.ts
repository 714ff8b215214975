// The kernel's socket tables (/proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}):
// what a "socket:[inode]" file descriptor is bound and connected to. Read
// through a process's own /proc entry, so a process in another network
// namespace (a container) is looked up in its own tables.

import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

export interface SocketEndpoint {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';
  /** TCP state name (LISTEN, ESTABLISHED, ...); for UDP and unix sockets LISTEN, CONNECTED or UNCONNECTED. */
  state: string;
  /** "127.0.0.1:6379", "[::1]:80", a unix path ("@name" when abstract), or "" when unbound. */
  local: string;
  /** The peer's address, or "" when not connected (or, for unix sockets, not in the table). */
  peer: string;
}

/** include/net/tcp_states.h, in order from TCP_ESTABLISHED = 1. */
const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];
const TCP_ESTABLISHED = 1;
/** __SO_ACCEPTCON in the unix table's Flags column; SS_CONNECTED in its St column. */
const UNIX_ACCEPTCON = 0x10000;
const SS_CONNECTED = 3;

const INET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;

/** Every socket of the network namespace `pid` is in, by inode. */
export function socketTable(pid: number | 'self'): Map<string, SocketEndpoint> {
  const table = new Map<string, SocketEndpoint>();
  for (const protocol of INET_TABLES) {
    const text = readOrEmpty(`/proc/${pid}/net/${protocol}`);
    for (const [inode, endpoint] of parseInetTable(text, protocol)) table.set(inode, endpoint);
  }
  for (const [inode, endpoint] of parseUnixTable(readOrEmpty(`/proc/${pid}/net/unix`))) table.set(inode, endpoint);
  return table;
}

/** The inode of a "socket:[inode]" link target, or null for anything else. */
export function socketInode(path: string): string | null {
  const match = /^socket:\[(\d+)\]$/.exec(path);
  return match ? match[1]! : null;
}

/**
 * Lines of /proc/net/{tcp,tcp6,udp,udp6} (net/ipv4/tcp_ipv4.c get_tcp4_sock,
 * net/ipv6/tcp_ipv6.c get_tcp6_sock, udp.c udp4_format_sock): "sl local rem
 * st ... uid timeout inode"; addresses are the raw words in host byte order
 * in hex, then ":" and the port in hex.
 */
export function parseInetTable(text: string, protocol: (typeof INET_TABLES)[number]): Array<[string, SocketEndpoint]> {
  const rows: Array<[string, SocketEndpoint]> = [];
  const tcp = protocol.startsWith('tcp');
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const state = parseInt(cols[3]!, 16);
    const inode = cols[9]!;
    const peer = inetAddress(cols[2]!);
    const connected = !peer.endsWith(':0');
    rows.push([
      inode,
      {
        protocol,
        // A UDP socket reuses TCP's numbers: ESTABLISHED once connect()ed, CLOSE otherwise.
        state: tcp ? (TCP_STATES[state] ?? String(state)) : state === TCP_ESTABLISHED ? 'CONNECTED' : 'UNCONNECTED',
        local: inetAddress(cols[1]!),
        peer: connected ? peer : '',
      },
    ]);
  }
  return rows;
}

/** "Num RefCount Protocol Flags Type St Inode [Path]" (net/unix/af_unix.c unix_seq_show). */
export function parseUnixTable(text: string): Array<[string, SocketEndpoint]> {
  const rows: Array<[string, SocketEndpoint]> = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 7) continue;
    const listening = (parseInt(cols[3]!, 16) & UNIX_ACCEPTCON) !== 0;
    const connected = parseInt(cols[5]!, 16) === SS_CONNECTED;
    rows.push([
      cols[6]!,
      { protocol: 'unix', state: listening ? 'LISTEN' : connected ? 'CONNECTED' : 'UNCONNECTED', local: cols.slice(7).join(' '), peer: '' },
    ]);
  }
  return rows;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** "0100007F:18EB" -> "127.0.0.1:6379"; 32 hex digits -> "[v6]:port". */
function inetAddress(text: string): string {
  const [hex = '', portHex = '0'] = text.split(':');
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const value = parseInt(hex.slice(word, word + 8), 16);
    const wordBytes = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    // The kernel printed a network-order word as a host integer.
    bytes.push(...(LITTLE_ENDIAN ? wordBytes.reverse() : wordBytes));
  }
  const port = parseInt(portHex, 16);
  if (bytes.length === 4) return `${bytes.join('.')}:${port}`;
  return `[${ipv6Text(bytes)}]:${port}`;
}

/** RFC 5952 text: lower case, longest run of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
function ipv6Text(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hexOf = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hexOf(groups);
  return `${hexOf(groups.slice(0, bestStart))}::${hexOf(groups.slice(bestStart + bestLength))}`;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
