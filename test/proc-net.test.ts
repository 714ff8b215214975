// The kernel's socket tables, parsed from text as /proc/net prints it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { parseInetTable, parseUnixTable, socketInode, socketTable } from '../src/util/proc-net.js';
import { createServer } from 'node:net';

// The kernel prints each 32-bit address word as a host integer: on a little-endian machine 127.0.0.1 is 0100007F.
const word = (bytes: number[]) => (endianness() === 'LE' ? [...bytes].reverse() : bytes).map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

test('TCP over IPv4: listening and established sockets with their addresses', () => {
  const text =
    TCP_HEADER +
    `   0: ${word([127, 0, 0, 1])}:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n` +
    `   1: ${word([10, 0, 2, 15])}:0016 ${word([10, 0, 2, 2])}:D431 01 00000000:00000000 02:0004B5C1 00000000     0        0 4243 4 0000000000000000 20 4 1 10 -1\n`;
  assert.deepEqual(parseInetTable(text, 'tcp'), [
    ['4242', { protocol: 'tcp', state: 'LISTEN', local: '127.0.0.1:6379', peer: '' }],
    ['4243', { protocol: 'tcp', state: 'ESTABLISHED', local: '10.0.2.15:22', peer: '10.0.2.2:54321' }],
  ]);
});

test('IPv6: the shortest text, IPv4-mapped addresses, UDP connected or not', () => {
  const v6 = (groups: number[]) => [0, 2, 4, 6].map((i) => word([groups[i]! >> 8, groups[i]! & 0xff, groups[i + 1]! >> 8, groups[i + 1]! & 0xff])).join('');
  const row = (local: string, remote: string, state: string, inode: number) =>
    `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 2 0000000000000000 0\n`;
  const loopback = v6([0, 0, 0, 0, 0, 0, 0, 1]);
  const any = v6([0, 0, 0, 0, 0, 0, 0, 0]);
  const mapped = v6([0, 0, 0, 0, 0, 0xffff, 0xc0a8, 0x0101]);
  const doc = v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0xab]);
  const text = TCP_HEADER + row(`${loopback}:0050`, `${any}:0000`, '07', 1) + row(`${mapped}:0035`, `${doc}:1F90`, '01', 2);
  assert.deepEqual(parseInetTable(text, 'udp6'), [
    ['1', { protocol: 'udp6', state: 'UNCONNECTED', local: '[::1]:80', peer: '' }],
    ['2', { protocol: 'udp6', state: 'CONNECTED', local: '[::ffff:192.168.1.1]:53', peer: '[2001:db8::1:0:0:ab]:8080' }],
  ]);
});

test('unix sockets: listening, connected, bound to a path or abstract', () => {
  const text =
    'Num       RefCount Protocol Flags    Type St Inode Path\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 17000 /run/redis/redis.sock\n' +
    '0000000000000000: 00000003 00000000 00000000 0001 03 17001\n' +
    '0000000000000000: 00000002 00000000 00000000 0002 01 17002 @/tmp/.X11-unix/X0\n';
  assert.deepEqual(parseUnixTable(text), [
    ['17000', { protocol: 'unix', state: 'LISTEN', local: '/run/redis/redis.sock', peer: '' }],
    ['17001', { protocol: 'unix', state: 'CONNECTED', local: '', peer: '' }],
    ['17002', { protocol: 'unix', state: 'UNCONNECTED', local: '@/tmp/.X11-unix/X0', peer: '' }],
  ]);
  assert.equal(socketInode('socket:[17000]'), '17000');
  assert.equal(socketInode('/tmp/socket:[1]'), null);
});

test('the live table of this process knows a socket it listens on', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const listening = [...socketTable('self').values()].filter((s) => s.state === 'LISTEN' && s.local === `127.0.0.1:${port}`);
    assert.equal(listening.length, 1);
  } finally {
    server.close();
  }
});
