import { describe, expect, it } from '@jest/globals';
import { createHealth, handleHealthRequest } from './health.server.js';
import { Metrics } from './metrics.js';

describe('handleHealthRequest', () => {
  it('answers liveness on /-/healthy and on notification-manager\'s /-/live, readiness on /-/ready', async () => {
    const health = createHealth();
    let ready = false;
    health.addCheck({ name: 'nats', check: () => ready });
    const metrics = new Metrics('t');
    for (const path of ['/-/healthy', '/-/live', '/-/live?x=1']) expect(await handleHealthRequest(path, health, metrics)).toMatchObject({ status: 200, body: 'OK\n' });
    expect(await handleHealthRequest('/-/ready', health, metrics)).toMatchObject({ status: 503, body: 'Not ready: nats\n' });
    ready = true;
    expect(await handleHealthRequest('/-/ready', health, metrics)).toMatchObject({ status: 200 });
    expect((await handleHealthRequest('/-/lives', health, metrics)).status).toBe(404);
  });
});
