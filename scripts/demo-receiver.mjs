#!/usr/bin/env node
// A tiny webhook receiver for local runs: prints every notification it gets.
// DEMO_RECEIVER_PORT (default 19099) and DEMO_RECEIVER_HOST (default 127.0.0.1).
import { createServer } from 'node:http';

const port = Number(process.env.DEMO_RECEIVER_PORT ?? 19099);
const host = process.env.DEMO_RECEIVER_HOST ?? '127.0.0.1';
const server = createServer((req, res) => {
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
});
server.on('error', (err) => {
  const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cannot listen on ${host}:${port}: ${err.code ?? err.message}`;
  process.stderr.write(`[demo-receiver] ${why}; set DEMO_RECEIVER_PORT to another port\n`);
  process.exit(1);
});
server.listen(port, host, () => process.stdout.write(`[demo-receiver] listening on http://${host}:${port}\n`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)).closeAllConnections());
