import { RequestOne } from '@nats-io/nats-core/internal';

/**
 * Stops the NATS client from building an Error after every answered request.
 *
 * A request (every JetStream publish is one) is cancelled once its answer arrived, to unregister
 * it; `RequestOne.cancel` then rejects the request's promise — already settled by the answer, so
 * the rejection does nothing — with a new `RequestError("cancelled")`, built whether or not
 * `noAsyncTraces` is set. An Error captures a stack (async frames included) when it is built: in
 * the stages' profiles that was 1.3–1.9 % of their CPU, for an object nobody sees. After this, a
 * cancel of a request whose answer already settled it unregisters it (timer, inbox) as before and
 * builds nothing; every other cancel (a timeout, a failed publish, a closed connection) is the
 * client's own.
 *
 * Patched on the class, once. Returns false (and changes nothing) when the class does not have the
 * expected shape: a newer client version that changed it.
 */
export function skipSettledRequestErrors(): boolean {
  const proto = RequestOne.prototype as unknown as RequestProto;
  if (proto[PATCHED]) return true;
  const resolver = proto.resolver;
  const cancel = proto.cancel;
  if (typeof resolver !== 'function' || typeof cancel !== 'function') return false;
  proto.resolver = function (this: RequestLike, err: Error | null, msg: unknown) {
    this[SETTLED] = true; // the answer (or its error) settles the promise; the client then calls cancel()
    return resolver.call(this, err, msg);
  };
  proto.cancel = function (this: RequestLike, err?: Error) {
    if (err === undefined && this[SETTLED]) {
      this.timer?.cancel();
      this.mux.cancel(this);
      return;
    }
    return cancel.call(this, err);
  };
  proto[PATCHED] = true;
  return true;
}

const PATCHED = Symbol('nm.skipSettledRequestErrors');
const SETTLED = Symbol('nm.settled');

interface RequestLike {
  timer?: { cancel(): void };
  mux: { cancel(r: unknown): void };
  [SETTLED]?: boolean;
}
interface RequestProto {
  resolver: (this: RequestLike, err: Error | null, msg: unknown) => void;
  cancel: (this: RequestLike, err?: Error) => void;
  [PATCHED]?: boolean;
}
