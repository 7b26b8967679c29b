#!/usr/bin/env node
// A tiny webhook receiver for local runs: prints every notification it gets.
import { createServer } from 'node:http';

const port = Number(process.env.DEMO_RECEIVER_PORT ?? 19099);
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let summary = body;
    try {
      const n = JSON.parse(body);
      const alerts = (n.alerts ?? []).map((a) => `${a.status} ${a.labels?.alertname ?? '?'} ns=${a.labels?.namespace ?? '-'}`);
      summary = `${alerts.length} alert(s) group=${JSON.stringify(n.groupLabels ?? {})}\n    ${alerts.join('\n    ')}`;
    } catch {
      /* not JSON: print as is */
    }
    process.stdout.write(`[demo-receiver] ${req.method} ${req.url} ${summary}\n`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
}).listen(port, process.env.DEMO_RECEIVER_HOST ?? '127.0.0.1', () => process.stdout.write(`[demo-receiver] listening on http://127.0.0.1:${port}\n`));
