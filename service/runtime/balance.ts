/**
 * Keeps keep-alive connections spread evenly over the serving threads (WORKER_MODE=threads).
 *
 * Every thread accepts on the same listening socket, and libuv accepts greedily: when a
 * client opens its connections at once, the thread that wakes first takes most of them,
 * and with keep-alive they stay there (64 connections split 63/2 without help). So each
 * thread counts its open connections in a shared array, and a thread holding more than
 * its fair share (the total divided by the threads, rounded up) answers one request on
 * one of its connections with `Connection: close`. The client reconnects, and the
 * new connection goes to whichever thread accepts first — usually the less busy one.
 * One connection per thread is shed at a time, so a thread never overshoots below its
 * share. A connection is closed only after a complete response, so no request fails.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Balance {
  /** Open connections per thread, shared by all threads (an Int32Array over a SharedArrayBuffer). */
  counts: Int32Array;
  /** This thread's slot in `counts`. */
  index: number;
}

/** The connection counts for `threads` threads, to share with every thread. */
export function connectionCounts(threads: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * threads));
}

/** True when a thread holding `mine` connections (of which `shedding` are already closing) has more than its share. */
export function overShare(counts: Int32Array, mine: number, shedding: number): boolean {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += Atomics.load(counts, i);
  return mine - shedding > Math.ceil(total / counts.length);
}

/**
 * Counts `server`'s connections in `b.counts[b.index]` and returns `shed(res)`, which marks
 * a response `Connection: close` when this thread holds more than its share.
 */
export function balanceConnections(server: Server, b: Balance): (res: ServerResponse) => void {
  const { counts, index } = b;
  const closing = new WeakSet<Socket>();
  let shedding = 0;
  server.on('connection', (socket: Socket) => {
    Atomics.add(counts, index, 1);
    socket.once('close', () => {
      Atomics.sub(counts, index, 1);
      if (closing.has(socket)) shedding--;
    });
  });
  return (res) => {
    const socket = res.socket;
    if (!socket || closing.has(socket) || !res.shouldKeepAlive) return;
    if (!overShare(counts, Atomics.load(counts, index), shedding)) return;
    closing.add(socket);
    shedding++;
    // Node writes `Connection: close` and ends the connection after this response.
    res.shouldKeepAlive = false;
  };
}
