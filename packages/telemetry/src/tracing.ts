/**
 * Tracing: the OpenTelemetry SDK, configured by the standard `OTEL_*` environment, and the few
 * helpers the pipeline uses to make spans (`inSpan`), to carry W3C trace context through NATS
 * headers and outbound HTTP (`traceparentOf`, `injectTraceparent`) and to put trace ids on log
 * lines (`logTraceFields`).
 *
 * Off unless an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`
 * turn it off too. Off, no span is created at all: `inSpan` runs its function with a shared
 * non-recording span, so the pipeline pays one branch per stage.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export { SpanKind, SpanStatusCode };
export type { Attributes, Context, Link, Span, SpanContext };

/** The instrumentation scope of every span the pipeline makes. */
export const TRACER_NAME = 'notification-manager';

const w3c = new W3CTraceContextPropagator();
const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

interface TracingState {
  enabled: boolean;
  serviceName?: string;
  provider?: BasicTracerProvider;
}
const state: TracingState = { enabled: false };

export interface TracingHandle {
  readonly enabled: boolean;
  /** Exports the spans ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and stops exporting (the process is ending). */
  shutdown(): Promise<void>;
}

/** Thrown for an `OTEL_*` setting this service cannot honour; the message names it. */
export class TracingConfigError extends Error {
  readonly code = 'ENV_INVALID';
}

/** Whether the environment asks for traces to be exported. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** The OTLP protocol of traces: `http/protobuf` (the default) or `http/json`. */
export function tracesProtocol(env: NodeJS.ProcessEnv = process.env): 'http/protobuf' | 'http/json' {
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  if (raw === 'http/protobuf' || raw === 'http/json') return raw;
  if (raw === 'grpc') throw new TracingConfigError(`${name}: "grpc" is not supported, use "http/protobuf" or "http/json"`);
  throw new TracingConfigError(`${name}: must be "http/protobuf" or "http/json", got ${JSON.stringify(raw)}`);
}

const handle = (): TracingHandle => ({
  enabled: state.enabled,
  forceFlush: async () => {
    await state.provider?.forceFlush();
  },
  shutdown: async () => {
    const p = state.provider;
    if (!p) return;
    state.provider = undefined;
    state.enabled = false;
    await p.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  },
});

/**
 * Starts exporting traces when the environment asks for it (see the file comment), once per
 * process: a second call (the single-process mode starts every service) returns the same state.
 * `serviceName` is the `service.name` unless `OTEL_SERVICE_NAME` (or `OTEL_RESOURCE_ATTRIBUTES`)
 * says otherwise. The sampler is `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` (default
 * `parentbased_always_on`); batching is `OTEL_BSP_*`; the exporter reads `OTEL_EXPORTER_OTLP_*`
 * (endpoint, headers, timeout, compression).
 */
export function initTracing(opts: { serviceName: string; env?: NodeJS.ProcessEnv; exporter?: SpanExporter }): TracingHandle {
  const env = opts.env ?? process.env;
  if (state.provider || !(opts.exporter || tracingRequested(env))) return handle();
  let exporter = opts.exporter;
  if (!exporter) exporter = tracesProtocol(env) === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': opts.serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(w3c);
  state.provider = provider;
  state.enabled = true;
  state.serviceName = opts.serviceName;
  return handle();
}

/** Whether spans are being recorded and exported in this process. */
export function tracingEnabled(): boolean {
  return state.enabled;
}

/** Exports the spans ended so far (no-op when tracing is off). */
export async function flushTraces(): Promise<void> {
  await state.provider?.forceFlush();
}

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => c[k],
};

/** The context a W3C `traceparent` (and `tracestate`) continue; the root context when absent or malformed. */
export function contextOf(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent, ...(tracestate ? { tracestate } : {}) }, recordGetter);
}

/** The span context a `traceparent` names, or undefined when it is absent or malformed. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const sc = trace.getSpanContext(contextOf(traceparent));
  return sc && isSpanContextValid(sc) ? sc : undefined;
}

/** The W3C `traceparent` of a span context. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * The `traceparent` a span's children carry (undefined with tracing off). A span the sampler
 * dropped gives its context with the sampled flag clear, so the next stages drop it too.
 */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span || !state.enabled) return undefined;
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}

/** The recording span of the active context, if any. */
export function activeSpan(): Span | undefined {
  if (!state.enabled) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/** Sets `traceparent` (and `tracestate`) of the active span on outbound headers; nothing when tracing is off or no span is active. */
export function injectTraceparent(headers: Record<string, string>): Record<string, string> {
  // a span the sampler dropped is injected too (sampled flag clear): the receiver drops the trace as well
  if (state.enabled) w3c.inject(context.active(), headers, { set: (c: Record<string, string>, k, v) => (c[k] = v) });
  return headers;
}

/** `trace_id`/`span_id` of the active span, for log lines (empty when there is none). */
export function logTraceFields(): { trace_id?: string; span_id?: string } {
  if (!state.enabled) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

export interface SpanOptions {
  /** The parent: a context, a `traceparent`, or (default) the active context. `null` starts a new trace. */
  parent?: Context | string | null | undefined;
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
}

/**
 * Runs `fn` inside a new span (the active span while `fn` runs) and ends it when `fn` settles;
 * a throw sets the span's status to error with the message and is rethrown. With tracing off
 * `fn` gets a non-recording span and nothing else happens.
 */
export function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => T): T {
  if (!state.enabled) return fn(NOOP_SPAN);
  let parent: Context;
  if (opts.parent === null) parent = ROOT_CONTEXT;
  else if (typeof opts.parent === 'string') parent = contextOf(opts.parent);
  else parent = opts.parent ?? context.active();
  const span = trace.getTracer(TRACER_NAME).startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}), ...(opts.links ? { links: opts.links } : {}) },
    parent,
  );
  const fail = (err: unknown): void => {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    if (err instanceof Error) span.recordException(err);
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    fail(err);
    span.end();
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        fail(err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

/** Adds an event to the active span (nothing when there is none). */
export function spanEvent(name: string, attributes?: Attributes): void {
  activeSpan()?.addEvent(name, attributes);
}

/** Sets attributes on the active span (nothing when there is none). */
export function spanAttributes(attributes: Attributes): void {
  activeSpan()?.setAttributes(attributes);
}

/** The parts of an incoming HTTP request a server span reads (an express request is one). */
interface ServerRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  baseUrl?: string;
  route?: { path?: unknown };
}
interface ServerResponse {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

const requestSpans = new WeakMap<object, Span>();
const headerOf = (req: ServerRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Express middleware: one SERVER span per request, continuing the caller's `traceparent` when it
 * sends one. Named `<METHOD> <route>` once the route is known; the status code is an attribute and
 * a 5xx marks the span as failed. Nothing happens when tracing is off.
 */
export function serverSpans(): (req: ServerRequest, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    if (!state.enabled) return next();
    const parent = contextOf(headerOf(req, 'traceparent'), headerOf(req, 'tracestate'));
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const span = trace.getTracer(TRACER_NAME).startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
      parent,
    );
    requestSpans.set(req, span);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** The server span of a request (see `serverSpans`), or undefined when tracing is off. */
export function requestSpan(req: object): Span | undefined {
  return requestSpans.get(req);
}

/** The `traceparent` to publish a request's work under: its server span's, else a new trace's. */
export function requestTraceparent(req: object): string | undefined {
  return traceparentOf(requestSpans.get(req));
}
