import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger.js';
import {
  flushTraces,
  initTracing,
  injectTraceparent,
  inSpan,
  logTraceFields,
  traceparentOf,
  tracesProtocol,
  tracingEnabled,
  tracingRequested,
  TracingConfigError,
} from './tracing.js';

function capture(service: string) {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger(service, 'info', stream), raw: () => out, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('tracing configuration from OTEL_*', () => {
  it('is requested only with an endpoint, and not when disabled', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('speaks http/protobuf (default) and http/json, and names the variable it refuses', () => {
    expect(tracesProtocol({})).toBe('http/protobuf');
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    expect(() => tracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(new TracingConfigError('OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported, use "http/protobuf" or "http/json"'));
    expect(() => tracesProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'udp' })).toThrow('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be "http/protobuf" or "http/json", got "udp"');
  });
});

describe('spans and log lines', () => {
  it('off (no endpoint): no span, no trace fields, nothing injected; the logger still writes one service key', async () => {
    const handle = initTracing({ serviceName: 'test', env: {} });
    expect(handle.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const { logger, raw } = capture('router');
    const result = await inSpan('x', { parent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` }, (span) => {
      logger.info('inside');
      expect(span.isRecording()).toBe(false);
      expect(traceparentOf(span)).toBeUndefined();
      expect(injectTraceparent({})).toEqual({});
      return Promise.resolve(42);
    });
    expect(result).toBe(42);
    expect(logTraceFields()).toEqual({});
    expect(raw()[0]!.match(/"service"/g)).toHaveLength(1);
    expect(JSON.parse(raw()[0]!)).not.toHaveProperty('trace_id');
  });

  it('on: spans continue a traceparent, nest, record failures; log lines inside carry trace_id and span_id; a child names its own service once', async () => {
    const exporter = new InMemorySpanExporter();
    const handle = initTracing({ serviceName: 'unit', env: {}, exporter });
    expect(handle.enabled).toBe(true);
    const parentTrace = 'c'.repeat(32);
    const parentSpan = 'd'.repeat(16);
    const root = capture('notification-manager');
    const log = root.logger.child({ service: 'silencer' }).child({ consumer: 'silencer' });
    let inner = '';
    let headers: Record<string, string> = {};
    await inSpan('outer', { parent: `00-${parentTrace}-${parentSpan}-01`, attributes: { 'nm.stage': 'silencer' } }, async () => {
      await inSpan('inner', {}, (span) => {
        inner = traceparentOf(span)!;
        headers = injectTraceparent({ 'content-type': 'application/json' });
        log.info('decided');
        return Promise.resolve();
      });
    });
    await expect(inSpan('failing', { parent: null }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    log.info('outside');
    await flushTraces();

    const spans = exporter.getFinishedSpans();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['failing', 'inner', 'outer']);
    const outer = byName['outer']!;
    const innerSpan = byName['inner']!;
    expect(outer.spanContext().traceId).toBe(parentTrace);
    expect(outer.parentSpanContext?.spanId).toBe(parentSpan);
    expect(outer.attributes['nm.stage']).toBe('silencer');
    expect(innerSpan.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner).toBe(`00-${parentTrace}-${innerSpan.spanContext().spanId}-01`);
    expect(headers).toEqual({ 'content-type': 'application/json', traceparent: inner });
    expect(byName['failing']!.status).toEqual({ code: 2, message: 'boom' });
    expect(byName['failing']!.spanContext().traceId).not.toBe(parentTrace);
    expect(outer.resource.attributes['service.name']).toBe('unit');

    const [decided, outside] = root.lines();
    expect(decided).toMatchObject({ msg: 'decided', service: 'silencer', consumer: 'silencer', trace_id: parentTrace, span_id: innerSpan.spanContext().spanId });
    expect(root.raw()[0]!.match(/"service"/g)).toHaveLength(1);
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).toMatchObject({ service: 'silencer' });
    await handle.shutdown();
    expect(tracingEnabled()).toBe(false);
  });
});

describe('sampling decisions travel with the trace', () => {
  it('a span the sampler dropped hands on its context unsampled, so the next stage drops it too', async () => {
    const { AlwaysOffSampler, BasicTracerProvider, ParentBasedSampler } = await import('@opentelemetry/sdk-trace-base');
    const { trace } = await import('@opentelemetry/api');
    const exporter = new InMemorySpanExporter();
    const handle = initTracing({ serviceName: 'unit', env: {}, exporter });
    // a root decision of "drop" (what OTEL_TRACES_SAMPLER=parentbased_traceidratio does for most traces)
    const provider = new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) });
    const dropped = provider.getTracer('t').startSpan('root');
    expect(dropped.isRecording()).toBe(false);
    const tp = traceparentOf(dropped)!;
    expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    inSpan('next stage', { parent: tp }, (span) => {
      expect(span.isRecording()).toBe(false);
      expect(trace.getActiveSpan()?.spanContext().traceId).toBe(dropped.spanContext().traceId);
    });
    await flushTraces();
    expect(exporter.getFinishedSpans()).toEqual([]);
    await handle.shutdown();
  });
});
