import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Coalesces a connection's socket writes per event-loop turn.
 *
 * The NATS client writes what it has queued at the end of every microtask checkpoint: under load
 * a stage finishes handlers one I/O callback at a time (a Redis reply, an HTTP response, a
 * publish acknowledgement), so each ack or publish became a write system call of its own. Corking
 * the socket at the first write of a turn and uncorking it in `setImmediate` (after the turn's I/O
 * callbacks) hands the kernel everything written during the turn in one `writev`. Nothing is
 * held longer than the rest of the turn; the client's own buffering, limits and flushes are
 * unchanged.
 *
 * Applied to the transport's class (every connection of the process, reconnects included): the
 * client opens a new transport on every reconnect. Returns false (and changes nothing) when the
 * client's transport does not have the expected shape: a newer client version that moved it.
 */
export function coalesceWrites(nc: NatsConnection): boolean {
  const transport = (nc as unknown as { protocol?: { transport?: object } }).protocol?.transport;
  if (!transport) return false;
  const proto = Object.getPrototypeOf(transport) as TransportProto;
  if (proto[PATCHED]) return true;
  const send = proto.send;
  if (typeof send !== 'function' || !('socket' in transport)) return false;
  proto.send = function (this: TransportLike, frame: Uint8Array) {
    const socket = this.socket;
    if (socket && !socket.destroyed && !this[CORKED]) {
      this[CORKED] = true;
      socket.cork();
      setImmediate(() => {
        this[CORKED] = false;
        socket.uncork();
      });
    }
    return send.call(this, frame);
  };
  proto[PATCHED] = true;
  return true;
}

const PATCHED = Symbol('nm.coalesceWrites');
const CORKED = Symbol('nm.corked');

interface CorkableSocket {
  destroyed: boolean;
  cork(): void;
  uncork(): void;
}
interface TransportLike {
  socket?: CorkableSocket;
  [CORKED]?: boolean;
}
interface TransportProto {
  send: (this: TransportLike, frame: Uint8Array) => unknown;
  [PATCHED]?: boolean;
}
