import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort } from './free-port.js';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });

describe('freePort', () => {
  it('gives a bindable port below the kernel ephemeral range, which servers binding port 0 meanwhile are not given', async () => {
    const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(lo!);
    // what a stack does between choosing ingest's port and binding it: other servers bind port 0
    const others = await Promise.all(Array.from({ length: 50 }, () => listen(0)));
    try {
      expect(others.map((s) => (s.address() as { port: number }).port)).not.toContain(port);
      const srv = await listen(port);
      await new Promise<void>((r) => srv.close(() => r()));
    } finally {
      await Promise.all(others.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });
});
