import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { startFakeKube, writeKubeconfig, type FakeKube } from '@nm/testing';
import { createKubeReviewer, KubeReviewUnavailableError } from './kube.review.js';

/** The reviewer's failures: every one is "unavailable" (503 at the API), never an answer. */
describe('createKubeReviewer failures', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('an API server that never answers: unavailable after the timeout', async () => {
    const server: Server = createServer(() => undefined); // accepts, never responds
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
    const kubeconfig = writeKubeconfig({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    cleanup.push(() => rmSync(dirname(kubeconfig), { recursive: true, force: true }));
    const reviewer = await createKubeReviewer({ kubeconfig, timeoutMs: 300 });
    await expect(reviewer.authenticate('t')).rejects.toThrow(new KubeReviewUnavailableError('TokenReview timed out after 300 ms'));
    await expect(reviewer.authorize({ username: 'u', groups: [] }, { verb: 'get', group: 'g', resource: 'r' })).rejects.toThrow(/SubjectAccessReview timed out/);
  });

  it('an API server refusing ingest itself: unavailable, naming the RBAC ingest needs, never the token', async () => {
    const kube: FakeKube = await startFakeKube({ token: 'the-right-one', users: { 'user-token': { username: 'u' } } });
    cleanup.push(() => kube.close());
    const kubeconfig = writeKubeconfig({ server: kube.url, token: 'a-wrong-service-account-token' });
    cleanup.push(() => rmSync(dirname(kubeconfig), { recursive: true, force: true }));
    const reviewer = await createKubeReviewer({ kubeconfig });
    const err = await reviewer.authenticate('user-token').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(KubeReviewUnavailableError);
    expect(err!.message).toMatch(/^TokenReview failed: HTTP 401\b.* \(ingest needs create on tokenreviews and subjectaccessreviews: ClusterRole system:auth-delegator\)$/);
    expect(err!.message).not.toContain('user-token');
  });
});
