export { createLogger, lazyChild, loggerOptions } from './logger.js';
export type { Logger } from './logger.js';
export { redactLogObject, redactUrl, scrubText, isSecretKey, REDACTED, SECRET_KEY_NAMES, SECRET_KEY_SUFFIXES, HEADER_KEY_NAMES, URL_KEY_NAMES } from './redact.js';
export { Metrics, mergeSnapshots } from './metrics.js';
export type { GaugeSample, MetricsOptions, MetricsSnapshot } from './metrics.js';
export { FastHistogram } from './fast.histogram.js';
export type { HistogramData, HistogramSeries } from './fast.histogram.js';
export { createHealth, startHealthServer, handleHealthRequest } from './health.server.js';
export type { Health, ReadinessCheck } from './health.server.js';
export { parseEnv, runMain, EnvError } from './env.js';
export {
  initTracing,
  tracingEnabled,
  tracingRequested,
  tracesProtocol,
  flushTraces,
  contextOf,
  spanContextOf,
  formatTraceparent,
  traceparentOf,
  activeSpan,
  injectTraceparent,
  logTraceFields,
  inSpan,
  spanEvent,
  spanAttributes,
  serverSpans,
  requestSpan,
  requestTraceparent,
  SpanKind,
  SpanStatusCode,
  TracingConfigError,
  TRACER_NAME,
} from './tracing.js';
export type { TracingHandle, SpanOptions, Attributes, Context, Link, Span, SpanContext } from './tracing.js';
