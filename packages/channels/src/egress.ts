/**
 * The egress guard: every outbound connection of a sender (HTTP through the shared http client's
 * agents, SMTP through the email sender's socket provider, a webhook's proxy) is opened to an
 * address this guard resolved and checked, so the address checked is the address connected to
 * (no DNS-rebinding gap between a check and the connect).
 *
 * Rules, in order: ingest's own address is always refused; an address in the allow list
 * (`NM_EGRESS_ALLOW`) is allowed; an address in the deny list (`NM_EGRESS_DENY`) or in the
 * built-in list (link-local, cloud metadata, "this network") is refused; anything else is allowed.
 * A name that resolves to several addresses is refused when any of them is refused.
 */
import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { BlockList, connect as netConnect, isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { PermanentError, RetryableError } from '@nm/errors';

/** Code of every egress refusal (`ClassifiedError.code`). */
export const EGRESS_DENIED_CODE = 'egress:denied';

/**
 * Denied unless allowed: link-local (which holds the metadata services of AWS, GCP, Azure,
 * OpenStack, Oracle and others at 169.254.169.254), the metadata addresses outside it
 * (Alibaba Cloud 100.100.100.200, AWS IPv6 fd00:ec2::254, Azure's WireServer 168.63.129.16), and
 * "this network" / the unspecified addresses, which a connect turns into the local host.
 */
export const BUILT_IN_EGRESS_DENY: readonly string[] = [
  '169.254.0.0/16',
  'fe80::/10',
  '100.100.100.200/32',
  'fd00:ec2::254/128',
  '168.63.129.16/32',
  '0.0.0.0/8',
  '::/128',
];

/** Which rule refused: `NM_EGRESS_DENY`, the built-in list, or ingest's own address. */
export type EgressDenialKind = 'deny-list' | 'built-in' | 'ingest';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (an IP literal never reaches it). */
export type EgressResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Opens the TCP connection to an address the guard allowed. Tests inject one that opens nothing. */
export type EgressConnector = (opts: { host: string; port: number; family: 4 | 6; timeoutMs?: number | undefined }) => Socket;

/** An address of the ingest listener of this installation: refused whatever the lists say. */
export interface SelfEndpoint {
  /** A name or address; absent or unspecified (0.0.0.0, ::) means every address of this host. */
  host?: string | undefined;
  port: number;
  /** Where the endpoint was learned (`NM_INGEST_URL`, `NM_INGEST_PORT`), for the refusal's reason. */
  source: string;
}

export interface EgressGuardOptions {
  /** CIDRs (or single addresses) refused in addition to the built-in list. */
  deny?: readonly string[];
  /** CIDRs allowed even when a deny list (or the built-in one) holds them. */
  allow?: readonly string[];
  /** Default true. */
  builtInDeny?: boolean;
  self?: readonly SelfEndpoint[];
  resolver?: EgressResolver;
  /** The local interfaces' addresses (default `os.networkInterfaces()`). */
  localAddresses?: () => readonly string[];
}

/** A refused connection: permanent (the configuration must change), with "egress denied" and the address. */
export class EgressDeniedError extends PermanentError {
  override readonly name: string = 'EgressDeniedError';
  readonly address: string;

  constructor(host: string, address: string, port: number, reason: string) {
    const shown = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    const via = host && host !== address ? `${host} resolves to ${shown}` : shown;
    super(`egress denied: ${via} (${reason})`, { code: EGRESS_DENIED_CODE });
    this.address = address;
  }
}

interface Rule {
  cidr: string;
  list: BlockList;
}

/** Parses one CIDR (or bare address) of a list named `setting`; throws naming the bad entry. */
function parseRule(entry: string, setting: string): Rule {
  const text = entry.trim();
  const [addr = '', bitsText] = text.split('/');
  const family = isIP(addr);
  if (family === 0) throw new Error(`${setting}: "${text}" is not an IPv4 or IPv6 address or CIDR`);
  const max = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? String(max)) || bits < 0 || bits > max) {
    throw new Error(`${setting}: "${text}" has an invalid prefix length (0 to ${max})`);
  }
  const list = new BlockList();
  list.addSubnet(addr, bits, family === 4 ? 'ipv4' : 'ipv6');
  return { cidr: `${addr}/${bits}`, list };
}

/** A comma- or whitespace-separated CIDR list, validated. */
export function parseCidrList(value: string | undefined, setting: string): string[] {
  if (!value) return [];
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((e) => parseRule(e, setting).cidr);
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address it carries. */
export function canonicalAddress(address: string): { address: string; family: 4 | 6 } {
  const unbracketed = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unbracketed);
  if (mapped?.[1]) return { address: mapped[1], family: 4 };
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(unbracketed);
  if (hexMapped?.[1] && hexMapped[2]) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 4 };
  }
  return { address: unbracketed, family: isIP(unbracketed) === 6 ? 6 : 4 };
}

/**
 * A test of addresses against one IP range (`10.0.0.0/8`, `fd00::/8`, a bare address), or undefined
 * when `entry` is not one (a host name of a `NO_PROXY` list, say).
 */
export function cidrMatcher(entry: string): ((address: string) => boolean) | undefined {
  let rule: Rule;
  try {
    rule = parseRule(entry, 'range');
  } catch {
    return undefined;
  }
  return (address) => {
    const a = canonicalAddress(address);
    return isIP(a.address) !== 0 && matches(rule, a.address, a.family);
  };
}

function matches(rule: Rule, address: string, family: 4 | 6): boolean {
  return rule.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const systemResolver: EgressResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function systemLocalAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

const LOOPBACK = [parseRule('127.0.0.0/8', 'loopback'), parseRule('::1/128', 'loopback')];
const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);
const SELF_CACHE_MS = 30_000;

export class EgressGuard {
  private readonly deny: Rule[];
  private readonly builtIn: Rule[];
  private readonly allow: Rule[];
  private readonly self: readonly SelfEndpoint[];
  private readonly resolver: EgressResolver;
  private readonly localAddresses: () => readonly string[];
  private readonly selfAddresses = new Map<string, { at: number; addresses: Promise<string[]> }>();
  private readonly deniedListeners: ((reason: EgressDenialKind) => void)[] = [];

  constructor(opts: EgressGuardOptions = {}) {
    this.deny = (opts.deny ?? []).map((c) => parseRule(c, 'NM_EGRESS_DENY'));
    this.builtIn = opts.builtInDeny === false ? [] : BUILT_IN_EGRESS_DENY.map((c) => parseRule(c, 'built-in'));
    this.allow = (opts.allow ?? []).map((c) => parseRule(c, 'NM_EGRESS_ALLOW'));
    this.self = opts.self ?? [];
    this.resolver = opts.resolver ?? systemResolver;
    this.localAddresses = opts.localAddresses ?? systemLocalAddresses;
  }

  /** Called on every refusal (a metric counts them). */
  onDenied(listener: (reason: EgressDenialKind) => void): void {
    this.deniedListeners.push(listener);
  }

  /** The lists in force, for the start-up log and docs. */
  describe(): { deny: string[]; builtInDeny: string[]; allow: string[]; self: string[] } {
    return {
      deny: this.deny.map((r) => r.cidr),
      builtInDeny: this.builtIn.map((r) => r.cidr),
      allow: this.allow.map((r) => r.cidr),
      self: this.self.map((s) => `${s.host ?? '*'}:${s.port} (${s.source})`),
    };
  }

  /**
   * Why a connection to `address:port` is refused, or undefined when it is allowed. Ingest's own
   * address is checked by {@link resolve} (it may need a lookup); this is the list check only.
   */
  verdict(rawAddress: string, _port?: number): string | undefined {
    const { address, family } = canonicalAddress(rawAddress);
    if (this.allow.some((r) => matches(r, address, family))) return undefined;
    const denied = this.deny.find((r) => matches(r, address, family));
    if (denied) return `NM_EGRESS_DENY ${denied.cidr}`;
    const builtIn = this.builtIn.find((r) => matches(r, address, family));
    if (builtIn) return `built-in deny ${builtIn.cidr}: link-local, cloud metadata or unspecified`;
    return undefined;
  }

  /**
   * Resolves `host` (an IP literal is taken as is) and checks every address; returns the one to
   * connect to, or throws {@link EgressDeniedError}. A failed lookup is a retryable error.
   */
  async resolve(host: string, port: number): Promise<ResolvedAddress> {
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: readonly ResolvedAddress[];
    if (isIP(bare)) {
      addresses = [{ address: bare, family: isIP(bare) === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolver(bare);
      } catch (err) {
        const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'EAI_FAIL';
        throw Object.assign(new RetryableError(`cannot resolve ${bare}: ${code}`, { code: `dns:${code}` }), { errno: code });
      }
      if (addresses.length === 0) throw new RetryableError(`cannot resolve ${bare}: no address`, { code: 'dns:ENODATA' });
    }
    for (const a of addresses) {
      const reason = (await this.selfReason(a.address, port)) ?? this.verdict(a.address, port);
      if (reason) {
        const kind: EgressDenialKind = reason.startsWith('NM_EGRESS_DENY') ? 'deny-list' : reason.startsWith('built-in') ? 'built-in' : 'ingest';
        for (const l of this.deniedListeners) l(kind);
        throw new EgressDeniedError(bare, canonicalAddress(a.address).address, port, reason);
      }
    }
    const first = addresses[0] as ResolvedAddress;
    return { address: first.address, family: first.family };
  }

  /**
   * Checks a proxied request's target as far as this host can see it: an IP literal is checked;
   * a name is resolved here and refused when it resolves to a refused address. A name this host
   * cannot resolve is left to the proxy (which resolves it itself).
   */
  async checkProxiedTarget(host: string, port: number): Promise<void> {
    try {
      await this.resolve(host, port);
    } catch (err) {
      if (err instanceof EgressDeniedError) throw err;
    }
  }

  private async selfReason(rawAddress: string, port: number): Promise<string | undefined> {
    const { address, family } = canonicalAddress(rawAddress);
    for (const s of this.self) {
      if (s.port !== port) continue;
      const host = (s.host ?? '').replace(/^\[|\]$/g, '');
      const reason = `ingest's own address (${s.source})`;
      if (UNSPECIFIED.has(host)) {
        // a listener on every interface: loopback and each local address reach it
        if (LOOPBACK.some((r) => matches(r, address, family))) return reason;
        if (this.localAddresses().some((l) => canonicalAddress(l).address === address)) return reason;
        if (address === '0.0.0.0' || address === '::') return reason;
        continue;
      }
      const own = await this.addressesOf(host);
      if (own.includes(address)) return reason;
    }
    return undefined;
  }

  private addressesOf(host: string): Promise<string[]> {
    if (isIP(host)) return Promise.resolve([canonicalAddress(host).address]);
    const now = Date.now();
    const cached = this.selfAddresses.get(host);
    if (cached && now - cached.at < SELF_CACHE_MS) return cached.addresses;
    const addresses = this.resolver(host).then(
      (list) => list.map((a) => canonicalAddress(a.address).address),
      () => [] as string[],
    );
    this.selfAddresses.set(host, { at: now, addresses });
    return addresses;
  }
}

// ---------------------------------------------------------------------------------------------
// The process's guard

/** The variables the guard reads; `NM_INGEST_URL` / `NM_INGEST_PORT` / `NM_INGEST_HOST` name ingest. */
export interface EgressEnv {
  NM_EGRESS_DENY?: string | undefined;
  NM_EGRESS_ALLOW?: string | undefined;
  NM_INGEST_URL?: string | undefined;
  NM_INGEST_PORT?: string | undefined;
  NM_INGEST_HOST?: string | undefined;
  NM_ADMIN_PORT?: string | undefined;
  NM_ADMIN_HOST?: string | undefined;
}

/** Ingest's addresses as this process can know them. */
export function selfEndpointsFromEnv(env: EgressEnv): SelfEndpoint[] {
  const out: SelfEndpoint[] = [];
  if (env.NM_INGEST_URL) {
    let u: URL;
    try {
      u = new URL(env.NM_INGEST_URL);
    } catch {
      throw new Error(`NM_INGEST_URL: "${env.NM_INGEST_URL}" is not a URL`);
    }
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    out.push({ host: u.hostname, port, source: 'NM_INGEST_URL' });
  }
  const listener = (portText: string | undefined, hostText: string | undefined, source: string, fallback?: number): void => {
    const port = portText ? Number(portText) : fallback;
    if (port === undefined || !Number.isInteger(port) || port <= 0 || port > 65_535) return;
    out.push({ host: hostText || undefined, port, source });
  };
  // A process that runs ingest (standalone) listens there; elsewhere it is a harmless extra rule.
  listener(env.NM_INGEST_PORT, env.NM_INGEST_HOST, 'NM_INGEST_PORT', 19_093);
  listener(env.NM_ADMIN_PORT, env.NM_ADMIN_HOST ?? env.NM_INGEST_HOST, 'NM_ADMIN_PORT');
  return out;
}

/** The guard of the process's environment; throws naming the variable on a bad entry. */
export function egressGuardFromEnv(env: EgressEnv = process.env, extra: Pick<EgressGuardOptions, 'resolver' | 'localAddresses'> = {}): EgressGuard {
  return new EgressGuard({
    deny: parseCidrList(env.NM_EGRESS_DENY, 'NM_EGRESS_DENY'),
    allow: parseCidrList(env.NM_EGRESS_ALLOW, 'NM_EGRESS_ALLOW'),
    self: selfEndpointsFromEnv(env),
    ...extra,
  });
}

let processGuard: EgressGuard | undefined;

/** The guard the shared agents use unless given one: built from `process.env` on first use. */
export function defaultEgressGuard(): EgressGuard {
  processGuard ??= egressGuardFromEnv(process.env);
  return processGuard;
}

/** Replaces the process's guard (a service at start, from its validated environment). */
export function setDefaultEgressGuard(guard: EgressGuard | undefined): void {
  processGuard = guard;
}

// ---------------------------------------------------------------------------------------------
// Agents

export interface GuardedAgentOptions {
  /** Default: the process's guard at connect time. */
  guard?: EgressGuard;
  connector?: EgressConnector;
}

const defaultConnector: EgressConnector = ({ host, port, family }) => netConnect({ host, port, family });

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

function portOf(options: { port?: number | string | null | undefined }, fallback: number): number {
  const p = Number(options.port);
  return Number.isInteger(p) && p > 0 ? p : fallback;
}

/** Opens a TCP connection to `host:port` through the guard. */
export async function guardedSocket(guard: EgressGuard, connector: EgressConnector, host: string, port: number): Promise<Socket> {
  const target = await guard.resolve(host, port);
  const socket = connector({ host: target.address, port, family: target.family });
  return socket;
}

function waitConnected(socket: Socket): Promise<Socket> {
  if (!socket.connecting) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.off('connect', onConnect);
      reject(err);
    };
    const onConnect = (): void => {
      socket.off('error', onError);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** Node's http.Agent, connecting only to addresses the guard allowed. */
export class GuardedHttpAgent extends HttpAgent {
  private readonly guardOpts: GuardedAgentOptions;

  constructor(opts: HttpAgentOptions & GuardedAgentOptions = {}) {
    const { guard, connector, ...agentOpts } = opts;
    super(agentOpts);
    this.guardOpts = { ...(guard ? { guard } : {}), ...(connector ? { connector } : {}) };
  }

  override createConnection(options: ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const guard = this.guardOpts.guard ?? defaultEgressGuard();
    const host = options.hostname ?? options.host ?? 'localhost';
    guardedSocket(guard, this.guardOpts.connector ?? defaultConnector, host, portOf(options, 80)).then(
      (s) => callback?.(null, s),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** An http(s) proxy that requests tunnel through with CONNECT. */
export interface TunnelProxy {
  host: string;
  port: number;
  /** Sent as `Proxy-Authorization: Basic`. */
  auth?: { username: string; password: string } | undefined;
  /** A proxy reached over TLS itself (`https://` proxy URL). */
  tls?: boolean | undefined;
}

/**
 * Node's https.Agent, connecting only to addresses the guard allowed; with `proxy`, through an
 * HTTP CONNECT tunnel to the proxy (whose address the guard checks), TLS to the target inside it.
 */
export class GuardedHttpsAgent extends HttpsAgent {
  private readonly guardOpts: GuardedAgentOptions;
  private readonly proxy: TunnelProxy | undefined;

  constructor(opts: HttpsAgentOptions & GuardedAgentOptions & { proxy?: TunnelProxy | undefined } = {}) {
    const { guard, connector, proxy, ...agentOpts } = opts;
    super(agentOpts);
    this.guardOpts = { ...(guard ? { guard } : {}), ...(connector ? { connector } : {}) };
    this.proxy = proxy;
  }

  override createConnection(options: HttpsRequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    this.open(options).then(
      (s) => callback?.(null, s),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  private async open(options: HttpsRequestOptions): Promise<Duplex> {
    const guard = this.guardOpts.guard ?? defaultEgressGuard();
    const connector = this.guardOpts.connector ?? defaultConnector;
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = portOf(options, 443);
    // SNI and the certificate check use the name of the URL (or tlsConfig.serverName), never the address
    const servername = typeof options.servername === 'string' && options.servername ? options.servername : isIP(host) ? undefined : host;
    const tlsOptions = { ...(options as ConnectionOptions) };
    delete (tlsOptions as { lookup?: unknown }).lookup;
    delete (tlsOptions as { agent?: unknown }).agent;
    if (!this.proxy) {
      const socket = await waitConnected(await guardedSocket(guard, connector, host, port));
      return tlsConnect({ ...tlsOptions, socket, host, ...(servername ? { servername } : {}) });
    }
    await guard.checkProxiedTarget(host, port);
    let proxySocket: Duplex = await waitConnected(await guardedSocket(guard, connector, this.proxy.host, this.proxy.port));
    if (this.proxy.tls) {
      proxySocket = tlsConnect({ socket: proxySocket, ...(isIP(this.proxy.host) ? {} : { servername: this.proxy.host }) });
    }
    const tunnel = await connectTunnel(proxySocket, host, port, this.proxy, options.timeout);
    return tlsConnect({ ...tlsOptions, socket: tunnel, host, ...(servername ? { servername } : {}) });
  }
}

/** Sends `CONNECT host:port` and waits for a 2xx; hands back the socket, now a tunnel. */
export function connectTunnel(socket: Duplex, host: string, port: number, proxy: TunnelProxy, timeoutMs = 10_000): Promise<Duplex> {
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.auth) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${proxy.auth.username}:${proxy.auth.password}`, 'utf8').toString('base64')}`);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new RetryableError(`proxy did not answer CONNECT within ${timeoutMs} ms`, { code: 'proxy:timeout' })), timeoutMs);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => finish(new RetryableError('proxy closed the connection during CONNECT', { code: 'proxy:closed' }));
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > 16_384) finish(new PermanentError('proxy answered CONNECT with an oversized header', { code: 'proxy:bad-answer' }));
        return;
      }
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      const rest = buffered.subarray(end + 4);
      if (status >= 200 && status < 300) {
        if (rest.length > 0) socket.unshift(rest);
        finish();
      } else if (Number.isNaN(status)) {
        finish(new PermanentError('proxy answered CONNECT with something that is not HTTP', { code: 'proxy:bad-answer' }));
      } else if (status === 407 || (status >= 400 && status < 500 && status !== 408 && status !== 429)) {
        finish(new PermanentError(`proxy refused CONNECT: HTTP ${status}`, { code: `proxy:http-${status}` }));
      } else {
        finish(new RetryableError(`proxy answered CONNECT with HTTP ${status}`, { code: `proxy:http-${status}` }));
      }
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
