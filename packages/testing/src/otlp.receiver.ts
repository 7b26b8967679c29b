import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An attribute value as OTLP/JSON carries it, decoded. */
export type OtlpValue = string | number | boolean | OtlpValue[] | undefined;

/** One received span, decoded from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, OtlpValue>;
  readonly events: ReadonlyArray<{ name: string; attributes: Record<string, OtlpValue> }>;
  readonly links: ReadonlyArray<{ traceId: string; spanId: string; attributes: Record<string, OtlpValue> }>;
  readonly status: { code: number; message?: string };
}

export interface OtlpReceiver {
  /** The value for `OTEL_EXPORTER_OTLP_ENDPOINT` (spans are posted to `<endpoint>/v1/traces`). */
  readonly endpoint: string;
  readonly port: number;
  /** Every span received so far, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** Export requests that were not OTLP/JSON (e.g. protobuf), counted. */
  readonly rejected: number;
  /** Spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  close(): Promise<void>;
}

interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

const decodeValue = (v: JsonAnyValue | undefined): OtlpValue => {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
};
const decodeAttributes = (list: JsonKeyValue[] | undefined): Record<string, OtlpValue> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 that accepts the JSON encoding
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and keeps the spans it receives, decoded.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !(req.headers['content-type'] ?? '').includes('json')) {
        rejected += 1;
        res.writeHead(415, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: Array<{
            resource?: { attributes?: JsonKeyValue[] };
            scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
          }>;
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = String(decodeAttributes(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              const parent = typeof s.parentSpanId === 'string' && s.parentSpanId !== '' ? s.parentSpanId : undefined;
              spans.push({
                service,
                traceId: String(s.traceId),
                spanId: String(s.spanId),
                parentSpanId: parent,
                name: String(s.name),
                kind: Number(s.kind ?? 0),
                attributes: decodeAttributes(s.attributes as JsonKeyValue[] | undefined),
                events: ((s.events as Array<{ name: string; attributes?: JsonKeyValue[] }> | undefined) ?? []).map((e) => ({
                  name: e.name,
                  attributes: decodeAttributes(e.attributes),
                })),
                links: ((s.links as Array<{ traceId: string; spanId: string; attributes?: JsonKeyValue[] }> | undefined) ?? []).map((l) => ({
                  traceId: l.traceId,
                  spanId: l.spanId,
                  attributes: decodeAttributes(l.attributes),
                })),
                status: (s.status as { code: number; message?: string } | undefined) ?? { code: 0 },
              });
            }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        rejected += 1;
        res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    spans,
    get rejected() {
      return rejected;
    },
    trace: (traceId) => spans.filter((s) => s.traceId === traceId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
