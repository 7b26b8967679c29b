import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  apiVersionOf,
  FAKE_KUBE_RESOURCES,
  isBuiltIn,
  jsonPatch,
  matchesFields,
  matchesLabels,
  mergePatch,
  parseLabelSelector,
  resourceFor,
  type FakeKubeResource,
} from './fake-kube.resources.js';
import { reviewAccess, reviewToken, type AccessReviewSpec, type AccessReviewStatus, type FakeKubeUser, type RbacObjects } from './fake-kube.auth.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface FakeKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: unknown;
  /** A list with `watch=true|1`. */
  watch: boolean;
  /** The status answered (200 for a watch that was opened). */
  status: number;
  at: number;
}

/** A scripted failure: the next `times` (default 1) requests that match are answered `code`. */
export interface FakeKubeFailure {
  method?: string;
  /** Substring of, or pattern on, the path (without the query). */
  path?: string | RegExp;
  /** Only watches (true) or only other requests (false). */
  watch?: boolean;
  code: number;
  times?: number;
  message?: string;
}

export interface FakeKubeOptions {
  /** Answer 401 unless `Authorization: Bearer <token>` is sent. */
  token?: string;
  /** How often a watch that asked for bookmarks (`allowWatchBookmarks=true`) gets one (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /**
   * How a watch from a compacted resourceVersion is refused: `event` (default, as the API server's
   * watch cache does: HTTP 200, one ERROR event with code 410, then the stream ends) or `status`
   * (HTTP 410 with a Status body).
   */
  expiredAs?: 'event' | 'status';
  /** Listen on this port (default: any free port on 127.0.0.1). */
  port?: number;
  /** Tokens TokenReview authenticates, and whom they stand for (more with `addUser`). */
  users?: Record<string, FakeKubeUser>;
  /**
   * Decides a SubjectAccessReview instead of the stored RBAC objects; return undefined to fall
   * back to them.
   */
  authorize?: (spec: AccessReviewSpec) => AccessReviewStatus | undefined;
}

export interface FakeKube {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: FakeKubeRequest[];
  /** Creates or replaces an object (as a client's apply would; `status` is kept when not given). */
  apply(obj: KubeObject): KubeObject;
  /** Deletes an object; false when it did not exist. */
  remove(apiVersion: string, kind: string, name: string, namespace?: string): boolean;
  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** The current (global) resourceVersion. */
  resourceVersion(): string;
  /** Drops the event history: a watch from an older resourceVersion gets 410; every open watch gets it now. */
  compact(): void;
  /** Ends every open watch cleanly (as the API server does after its request timeout). */
  closeAllWatches(): void;
  /** Sends a BOOKMARK to every open watch that asked for bookmarks. */
  sendBookmarks(): void;
  /** Scripts a failure for the next matching request(s). */
  failNext(failure: FakeKubeFailure): void;
  /** Number of open watch streams (optionally of one resource, by plural: `receivers`, `secrets`). */
  openWatches(plural?: string): number;
  setExpiredAs(mode: 'event' | 'status'): void;
  /** Stops listening and drops every connection (clients get connection refused); the objects are kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Registers a token TokenReview authenticates as `user`. */
  addUser(token: string, user: FakeKubeUser): void;
  /** Revokes a token: TokenReview no longer authenticates it. */
  removeUser(token: string): void;
  close(): Promise<void>;
}

interface StoredEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: FakeKubeResource;
  object: KubeObject;
  /** The state before a MODIFIED. */
  old?: KubeObject;
}

interface Watcher {
  resource: FakeKubeResource;
  namespace?: string;
  labels: ReturnType<typeof parseLabelSelector>;
  fields?: string;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
  bookmarks: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const statusBody = (code: number, message: string, reason = REASONS[code] ?? 'Unknown') => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

/** Everything but metadata and status: what `generation` counts. */
const specPart = (o: KubeObject): string => {
  const rest: Record<string, unknown> = { ...o };
  delete rest['metadata'];
  delete rest['status'];
  delete rest['apiVersion'];
  delete rest['kind'];
  return JSON.stringify(rest);
};

/**
 * A fake Kubernetes API server on 127.0.0.1 (plain HTTP) for config-sync's tests: list, watch
 * (resourceVersions from one global counter, replay from an event log, bookmarks, 410 after
 * `compact()`, `timeoutSeconds`), get/create/replace/merge-patch/JSON-patch/delete with optimistic
 * concurrency on `metadata.resourceVersion`, the status subresource of the custom resources, the
 * discovery endpoints kubectl needs, scripted failures and stop/start; TokenReview (registered
 * users) and SubjectAccessReview (decided by the stored RBAC objects, see fake-kube.auth.ts).
 */
export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new Map<string, KubeObject>();
  let rv = 100;
  let compactedAt = 0;
  let log: StoredEvent[] = [];
  let watchers: Watcher[] = [];
  const failures: FakeKubeFailure[] = [];
  const requests: FakeKubeRequest[] = [];
  const sockets = new Set<Socket>();
  let expiredAs = opts.expiredAs ?? 'event';
  const bookmarkMs = opts.bookmarkIntervalMs ?? 1000;
  const users = new Map<string, FakeKubeUser>(Object.entries(opts.users ?? {}));

  const keyOf = (r: FakeKubeResource, name: string, namespace?: string): string => `${apiVersionOf(r)}/${r.plural}/${r.namespaced ? (namespace ?? '') : ''}/${name}`;
  const itemsOf = (r: FakeKubeResource, namespace?: string): KubeObject[] =>
    [...store.values()]
      .filter((o) => o.apiVersion === apiVersionOf(r) && o.kind === r.kind && (namespace === undefined || o.metadata.namespace === namespace))
      .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));

  const matches = (w: Watcher, o: KubeObject): boolean =>
    (w.namespace === undefined || o.metadata.namespace === w.namespace) && matchesLabels(o.metadata.labels, w.labels) && (!w.fields || matchesFields(o.metadata, w.fields));

  const send = (w: Watcher, type: string, object: unknown): void => {
    if (!w.res.writableEnded) w.res.write(`${JSON.stringify({ type, object })}\n`);
  };

  /** What a watcher sees of one event (an object leaving its selector is a DELETED). */
  const deliver = (w: Watcher, ev: StoredEvent): void => {
    if (ev.resource !== w.resource) return;
    if (ev.type === 'DELETED') {
      if (matches(w, ev.object)) send(w, 'DELETED', ev.object);
      return;
    }
    const now = matches(w, ev.object);
    const before = ev.old !== undefined && matches(w, ev.old);
    if (now) send(w, ev.type === 'ADDED' || !before ? 'ADDED' : 'MODIFIED', ev.object);
    else if (before) send(w, 'DELETED', ev.object);
  };

  const endWatch = (w: Watcher): void => {
    w.timers.forEach((t) => clearTimeout(t));
    watchers = watchers.filter((x) => x !== w);
    if (!w.res.writableEnded) w.res.end();
  };

  const record = (type: StoredEvent['type'], resource: FakeKubeResource, object: KubeObject, old?: KubeObject): void => {
    const ev: StoredEvent = { rv, type, resource, object: clone(object), ...(old ? { old: clone(old) } : {}) };
    log.push(ev);
    for (const w of [...watchers]) deliver(w, ev);
  };

  /** Stores a write: new resourceVersion, generation when the spec changed, an event. */
  const write = (r: FakeKubeResource, obj: KubeObject, old: KubeObject | undefined): KubeObject => {
    rv += 1;
    const stored = clone(obj);
    stored.apiVersion = apiVersionOf(r);
    stored.kind = r.kind;
    stored.metadata.resourceVersion = String(rv);
    stored.metadata.uid = old?.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (r.namespaced) stored.metadata.namespace = obj.metadata.namespace ?? 'default';
    else delete stored.metadata.namespace;
    if (r.statusSubresource) {
      const prev = old?.metadata.generation ?? 0;
      stored.metadata.generation = !old ? 1 : specPart(old) !== specPart(stored) ? prev + 1 : prev;
    }
    store.set(keyOf(r, stored.metadata.name, stored.metadata.namespace), stored);
    record(old ? 'MODIFIED' : 'ADDED', r, stored, old);
    return clone(stored);
  };

  const del = (r: FakeKubeResource, name: string, namespace?: string): KubeObject | undefined => {
    const key = keyOf(r, name, namespace);
    const old = store.get(key);
    if (!old) return undefined;
    store.delete(key);
    rv += 1;
    const gone = clone(old);
    gone.metadata.resourceVersion = String(rv);
    record('DELETED', r, gone);
    return gone;
  };

  const resourceOrThrow = (apiVersion: string, kind: string): FakeKubeResource => {
    const r = resourceFor(apiVersion, kind);
    if (!r) throw new Error(`the fake API server does not serve ${apiVersion} ${kind}`);
    return r;
  };

  // --- HTTP

  interface Route {
    resource: FakeKubeResource;
    namespace?: string;
    name?: string;
    subresource?: string;
  }

  const parsePath = (path: string): Route | 'discovery' | undefined => {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg.length >= 2) {
      group = '';
      version = seg[1]!;
      rest = seg.slice(2);
    } else if (seg[0] === 'apis' && seg.length >= 3) {
      group = seg[1]!;
      version = seg[2]!;
      rest = seg.slice(3);
    } else return seg.length <= 2 && (seg[0] === 'api' || seg[0] === 'apis') ? 'discovery' : undefined;
    if (rest.length === 0) return 'discovery';
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = FAKE_KUBE_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === rest[0]);
    if (!resource) return undefined;
    if (namespace !== undefined && !resource.namespaced) return undefined;
    return { resource, namespace, name: rest[1], subresource: rest[2] };
  };

  const discovery = (path: string): unknown => {
    const seg = path.split('/').filter(Boolean);
    const groups = [...new Set(FAKE_KUBE_RESOURCES.filter((r) => r.group !== '').map((r) => `${r.group}/${r.version}`))];
    const resourceList = (gv: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: FAKE_KUBE_RESOURCES.filter((r) => apiVersionOf(r) === gv).flatMap((r) => [
        {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        },
        ...(r.statusSubresource ? [{ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]),
    });
    if (seg.length === 1 && seg[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (seg.length === 1) {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((gv) => {
          const [group, version] = gv.split('/') as [string, string];
          return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        }),
      };
    }
    return resourceList(seg[0] === 'api' ? seg[1]! : `${seg[1]}/${seg[2]}`);
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const json = (res: ServerResponse, code: number, body: unknown): number => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return code;
  };
  const fail = (res: ServerResponse, code: number, message: string, reason?: string): number => json(res, code, statusBody(code, message, reason));

  const takeFailure = (method: string, path: string, watch: boolean): FakeKubeFailure | undefined => {
    const i = failures.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.watch === undefined || f.watch === watch) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
    );
    if (i < 0) return undefined;
    const f = failures[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) failures.splice(i, 1);
    else failures[i] = { ...f, times: left };
    return f;
  };

  const openWatch = (res: ServerResponse, route: Route, query: Record<string, string>): number => {
    const r = route.resource;
    const w: Watcher = {
      resource: r,
      namespace: route.namespace,
      labels: parseLabelSelector(query['labelSelector'] ?? ''),
      fields: query['fieldSelector'],
      res,
      timers: [],
      bookmarks: query['allowWatchBookmarks'] === 'true',
    };
    const from = query['resourceVersion'];
    const replay: StoredEvent[] = [];
    if (from === undefined || from === '' || from === '0') {
      for (const o of itemsOf(r, route.namespace)) replay.push({ rv: Number(o.metadata.resourceVersion), type: 'ADDED', resource: r, object: o });
    } else {
      const n = Number(from);
      if (!Number.isFinite(n) || n < compactedAt) {
        const message = `too old resource version: ${from} (${compactedAt})`;
        if (expiredAs === 'status') return fail(res, 410, message, 'Expired');
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        res.end(`${JSON.stringify({ type: 'ERROR', object: statusBody(410, message, 'Expired') })}\n`);
        return 200;
      }
      replay.push(...log.filter((e) => e.rv > n));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const ev of replay) deliver(w, ev);
    watchers.push(w);
    res.on('close', () => endWatch(w));
    const timeout = Number(query['timeoutSeconds'] ?? '');
    if (timeout > 0) w.timers.push(setTimeout(() => endWatch(w), timeout * 1000));
    if (w.bookmarks) {
      const tick = (): void => {
        send(w, 'BOOKMARK', { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(rv) } });
        w.timers.push(setTimeout(tick, bookmarkMs));
      };
      w.timers.push(setTimeout(tick, bookmarkMs));
    }
    return 200;
  };

  const listBody = (route: Route, query: Record<string, string>): unknown => {
    const r = route.resource;
    const labels = parseLabelSelector(query['labelSelector'] ?? '');
    const fields = query['fieldSelector'];
    const items = itemsOf(r, route.namespace)
      .filter((o) => matchesLabels(o.metadata.labels, labels) && (!fields || matchesFields(o.metadata, fields)))
      .map((o) => {
        if (!isBuiltIn(r)) return o;
        const item: Record<string, unknown> = { ...o };
        delete item['apiVersion'];
        delete item['kind'];
        return item;
      });
    return { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata: { resourceVersion: String(rv), continue: '' }, items };
  };

  const applyPatch = (current: KubeObject, body: unknown, contentType: string): KubeObject => {
    if (contentType.includes('json-patch')) return jsonPatch(current, body) as KubeObject;
    return mergePatch(current, body) as KubeObject;
  };

  // --- TokenReview and SubjectAccessReview (create only, as the API server serves them)

  const REVIEWS: Record<string, 'TokenReview' | 'SubjectAccessReview'> = {
    '/apis/authentication.k8s.io/v1/tokenreviews': 'TokenReview',
    '/apis/authorization.k8s.io/v1/subjectaccessreviews': 'SubjectAccessReview',
  };
  const stored = <T>(apiVersion: string, kind: string): T[] => itemsOf(resourceOrThrow(apiVersion, kind)) as unknown as T[];
  const rbacObjects = (): RbacObjects => ({
    roles: stored('rbac.authorization.k8s.io/v1', 'Role'),
    clusterRoles: stored('rbac.authorization.k8s.io/v1', 'ClusterRole'),
    roleBindings: stored('rbac.authorization.k8s.io/v1', 'RoleBinding'),
    clusterRoleBindings: stored('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
  });

  const answerReview = async (req: IncomingMessage, res: ServerResponse, entry: FakeKubeRequest, kind: 'TokenReview' | 'SubjectAccessReview'): Promise<number> => {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req)) as unknown;
    } catch {
      return fail(res, 400, 'the request body is not JSON');
    }
    entry.body = body;
    const spec = isRecord(body) && isRecord(body['spec']) ? body['spec'] : undefined;
    if (!spec) return fail(res, 422, 'spec: Required value', 'Invalid');
    const apiVersion = kind === 'TokenReview' ? 'authentication.k8s.io/v1' : 'authorization.k8s.io/v1';
    const answer = (status: unknown): number => json(res, 201, { kind, apiVersion, metadata: { creationTimestamp: null }, spec, status });
    if (kind === 'TokenReview') {
      if (typeof spec['token'] !== 'string' || spec['token'] === '') return fail(res, 422, 'spec.token: Required value', 'Invalid');
      const audiences = Array.isArray(spec['audiences']) ? (spec['audiences'] as unknown[]).filter((a): a is string => typeof a === 'string') : undefined;
      const r = reviewToken(spec['token'], audiences, users);
      return answer(r.authenticated ? { authenticated: true, user: r.user, audiences: r.audiences } : { user: {}, error: r.error });
    }
    const sar = spec as AccessReviewSpec;
    if (!sar.resourceAttributes === !sar.nonResourceAttributes)
      return fail(res, 422, 'exactly one of nonResourceAttributes or resourceAttributes must be specified', 'Invalid');
    if (!sar.user && !(sar.groups ?? []).length) return fail(res, 422, 'at least one of user or group must be specified', 'Invalid');
    return answer(opts.authorize?.(sar) ?? reviewAccess(sar, rbacObjects()));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: FakeKubeRequest): Promise<number> => {
    const method = entry.method;
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) return fail(res, 401, 'Unauthorized');
    const scripted = takeFailure(method, entry.path, entry.watch);
    if (scripted) return fail(res, scripted.code, scripted.message ?? `scripted failure ${scripted.code}`);
    const review = REVIEWS[entry.path];
    if (review) return method === 'POST' ? answerReview(req, res, entry, review) : fail(res, 405, `method ${method} not allowed`);
    const route = parsePath(entry.path);
    if (route === 'discovery') return method === 'GET' ? json(res, 200, discovery(entry.path)) : fail(res, 405, 'method not allowed');
    if (!route) return fail(res, 404, `the server could not find the requested resource (${entry.path})`);
    const r = route.resource;
    const ns = r.namespaced ? route.namespace : undefined;
    const key = route.name !== undefined ? keyOf(r, route.name, ns) : undefined;
    const current = key ? store.get(key) : undefined;
    const notFound = (): number => fail(res, 404, `${r.plural}${r.group ? `.${r.group}` : ''} "${route.name}" not found`, 'NotFound');
    const text = method === 'GET' || method === 'DELETE' ? '' : await readBody(req);
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        return fail(res, 400, 'the request body is not JSON');
      }
      entry.body = body;
    }
    if (route.subresource !== undefined && (route.subresource !== 'status' || !r.statusSubresource)) return fail(res, 404, `no subresource ${route.subresource}`);

    switch (method) {
      case 'GET':
        if (route.name === undefined) return entry.watch ? openWatch(res, route, entry.query) : json(res, 200, listBody(route, entry.query));
        return current ? json(res, 200, current) : notFound();
      case 'POST': {
        if (route.name !== undefined) return fail(res, 405, 'POST to a named resource');
        if (!isRecord(body) || !isRecord(body['metadata']) || typeof body['metadata']['name'] !== 'string') return fail(res, 422, 'metadata.name: Required value', 'Invalid');
        const obj = body as unknown as KubeObject;
        if (r.namespaced) obj.metadata.namespace = route.namespace ?? obj.metadata.namespace ?? 'default';
        if (store.has(keyOf(r, obj.metadata.name, obj.metadata.namespace))) {
          return fail(res, 409, `${r.plural} "${obj.metadata.name}" already exists`, 'AlreadyExists');
        }
        if (r.statusSubresource) delete obj['status'];
        return json(res, 201, write(r, obj, undefined));
      }
      case 'PUT':
      case 'PATCH': {
        if (!current || route.name === undefined) return notFound();
        let next: KubeObject;
        if (method === 'PUT') {
          if (!isRecord(body) || !isRecord(body['metadata'])) return fail(res, 422, 'metadata: Required value', 'Invalid');
          next = body as unknown as KubeObject;
        } else {
          const type = req.headers['content-type'] ?? '';
          if (!/json-patch|merge-patch|strategic-merge-patch/.test(type)) return fail(res, 415, `unsupported patch type ${type}`);
          try {
            next = applyPatch(current, body, type);
          } catch (err) {
            return fail(res, 422, (err as Error).message, 'Invalid');
          }
        }
        const sentRv = next.metadata.resourceVersion;
        if (sentRv !== undefined && sentRv !== '' && sentRv !== current.metadata.resourceVersion) {
          return fail(
            res,
            409,
            `Operation cannot be fulfilled on ${r.plural} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
            'Conflict',
          );
        }
        if (next.metadata.name !== route.name) return fail(res, 400, 'the name of the object does not match the name in the URL');
        next.metadata.namespace = current.metadata.namespace;
        if (route.subresource === 'status') {
          // Only the status changes through the status subresource.
          next = { ...clone(current), status: next['status'] };
          if (next['status'] === undefined) delete next['status'];
        } else if (r.statusSubresource) {
          next = { ...next };
          if (current['status'] !== undefined) next['status'] = clone(current['status']);
          else delete next['status'];
        }
        return json(res, 200, write(r, next, current));
      }
      case 'DELETE': {
        if (route.name === undefined) return fail(res, 405, 'collection delete is not supported');
        const gone = del(r, route.name, ns);
        return gone ? json(res, 200, gone) : notFound();
      }
      default:
        return fail(res, 405, `method ${method} not allowed`);
    }
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const entry: FakeKubeRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query,
      headers: req.headers,
      watch: query['watch'] === 'true' || query['watch'] === '1',
      status: 0,
      at: Date.now(),
    };
    requests.push(entry);
    handle(req, res, entry)
      .then((status) => {
        entry.status = status;
      })
      .catch((err: unknown) => {
        entry.status = 500;
        if (!res.headersSent) fail(res, 500, (err as Error).message);
        else res.destroy();
      });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(opts.port ?? 0);
  let listening = true;

  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    for (const w of [...watchers]) w.timers.forEach((t) => clearTimeout(t));
    watchers = [];
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    apply(obj) {
      const r = resourceOrThrow(obj.apiVersion ?? '', obj.kind ?? '');
      const o = clone(obj);
      if (r.namespaced) o.metadata.namespace ??= 'default';
      const current = store.get(keyOf(r, o.metadata.name, o.metadata.namespace));
      delete o.metadata.resourceVersion;
      if (current && r.statusSubresource && o['status'] === undefined && current['status'] !== undefined) o['status'] = clone(current['status']);
      return write(r, o, current);
    },
    remove(apiVersion, kind, name, namespace) {
      const r = resourceOrThrow(apiVersion, kind);
      return del(r, name, r.namespaced ? (namespace ?? 'default') : undefined) !== undefined;
    },
    get(apiVersion, kind, name, namespace) {
      const r = resourceOrThrow(apiVersion, kind);
      const o = store.get(keyOf(r, name, r.namespaced ? (namespace ?? 'default') : undefined));
      return o ? clone(o) : undefined;
    },
    list(apiVersion, kind, namespace) {
      return itemsOf(resourceOrThrow(apiVersion, kind), namespace).map(clone);
    },
    resourceVersion: () => String(rv),
    compact() {
      compactedAt = rv;
      log = [];
      for (const w of [...watchers]) {
        send(w, 'ERROR', statusBody(410, `too old resource version: ${compactedAt}`, 'Expired'));
        endWatch(w);
      }
    },
    closeAllWatches() {
      for (const w of [...watchers]) endWatch(w);
    },
    sendBookmarks() {
      for (const w of watchers) {
        if (w.bookmarks) send(w, 'BOOKMARK', { kind: w.resource.kind, apiVersion: apiVersionOf(w.resource), metadata: { resourceVersion: String(rv) } });
      }
    },
    failNext(failure) {
      failures.push(failure);
    },
    openWatches(plural) {
      return watchers.filter((w) => plural === undefined || w.resource.plural === plural).length;
    },
    setExpiredAs(mode) {
      expiredAs = mode;
    },
    stop,
    async start() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    close: stop,
    addUser(token, user) {
      users.set(token, user);
    },
    removeUser(token) {
      users.delete(token);
    },
  };
}
