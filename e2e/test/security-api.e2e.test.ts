import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GLOBAL_TENANT } from '@nm/contracts';
import { freePort, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * Ingest authentication and API authorization through the running stack (directory mode, token
 * authorization): NM_INGEST_TOKENS_FILE on POST /api/v2/alerts, NM_ADMIN_TOKENS and
 * NM_TENANT_TOKENS on the admin and read API, served on its own port (NM_ADMIN_PORT).
 */

const ADMIN = 'e2e-admin-token-5b1f0c';
const TEAM_A = 'e2e-team-a-token-92d4e7';
const INGEST_1 = 'e2e-ingest-token-one-7c3a';
const INGEST_2 = 'e2e-ingest-token-two-41be';

interface HistoryAnswer {
  items: Array<{ tenant: string; receiver: string; result: string }>;
}

describe('security through the running stack: ingest tokens, admin and tenant tokens', () => {
  let sink: WebhookSink;
  let stack: Stack;
  let adminUrl: string;
  let secrets: string;
  let ingestTokensFile: string;

  beforeAll(async () => {
    sink = await startWebhookSink();
    secrets = mkdtempSync(join(tmpdir(), 'nm-e2e-secrets-'));
    ingestTokensFile = join(secrets, 'ingest-tokens');
    writeFileSync(ingestTokensFile, `${INGEST_1}\n`);
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '1s' }),
        'receivers.yaml': docs(
          webhookReceiver('ops-pager', `${sink.url}/global`, { type: 'global' }),
          webhookReceiver('team-a-hook', `${sink.url}/team-a`, { type: 'tenant', namespace: 'team-a' }),
          webhookReceiver('team-b-hook', `${sink.url}/team-b`, { type: 'tenant', namespace: 'team-b' }),
        ),
      },
      env: {
        ingest: {
          NM_INGEST_TOKENS_FILE: ingestTokensFile,
          NM_API_AUTH: 'token',
          NM_ADMIN_TOKENS: ADMIN,
          NM_TENANT_TOKENS: `team-a=${TEAM_A}`,
          NM_ADMIN_PORT: String(adminPort),
          NM_ADMIN_HOST: '127.0.0.1',
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
  });

  const post = async (alertname: string, token?: string): Promise<number> => {
    const r = await fetch(`${stack.ingestUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({
        receiver: 'am',
        status: 'firing',
        alerts: ['team-a', 'team-b'].map((namespace) => ({ labels: { alertname, namespace }, annotations: { message: alertname } })),
      }),
    });
    return r.status;
  };
  const api = async (path: string, token?: string, init: RequestInit = {}, base = adminUrl): Promise<{ status: number; body: unknown }> => {
    const r = await fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    return { status: r.status, body: await r.json() };
  };
  const alertnames = (path: string): string[] => sink.accepted(path).flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname ?? ''));

  it('ingest: 401 without a token or with a wrong one, and none of those alerts is ever delivered; 200 with the token, delivered', async () => {
    expect(await post('NoToken')).toBe(401);
    expect(await post('WrongToken', 'not-the-token')).toBe(401);
    expect(await post('AdminTokenIsNoIngestToken', ADMIN)).toBe(401);
    expect(await post('Authorized', INGEST_1)).toBe(200);
    await waitFor('authorized alerts delivered', () => alertnames('/team-a').includes('Authorized') && alertnames('/team-b').includes('Authorized') && alertnames('/global').length === 2, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // one more flush window: nothing else arrives
    const everything = [...alertnames('/global'), ...alertnames('/team-a'), ...alertnames('/team-b')];
    expect(everything.sort()).toEqual(['Authorized', 'Authorized', 'Authorized', 'Authorized']);
  });

  it('the admin API refuses a missing or wrong token, refuses a tenant token the DLQ, and is not served on the ingest port', async () => {
    expect((await api('/api/v2/dlq')).status).toBe(401);
    expect((await api('/api/v2/dlq', 'wrong-token')).status).toBe(401);
    expect((await api('/api/v2/dlq', INGEST_1)).status).toBe(401);
    expect((await api('/api/v2/dlq', TEAM_A)).status).toBe(403);
    expect((await api('/api/v2/dlq/1', TEAM_A)).status).toBe(403);
    expect((await api('/api/v2/dlq/1/replay', TEAM_A, { method: 'POST' })).status).toBe(403);
    expect((await api('/api/v2/dlq', ADMIN)).status).toBe(200);
    expect((await api('/api/v2/dlq', ADMIN, {}, stack.ingestUrl)).status).toBe(404);
    expect((await api('/api/v2/history?tenant=team-a', ADMIN, {}, stack.ingestUrl)).status).toBe(404);
  });

  it('a tenant token reads only its own history; an admin token reads any tenant', async () => {
    await waitFor(
      'history of both tenants recorded',
      async () => {
        const b = (await api('/api/v2/history?tenant=team-b', ADMIN)).body as HistoryAnswer;
        const a = (await api('/api/v2/history?tenant=team-a', ADMIN)).body as HistoryAnswer;
        return a.items.length > 0 && b.items.length > 0;
      },
      30_000,
    );
    const own = await api('/api/v2/history?tenant=team-a', TEAM_A);
    expect(own.status).toBe(200);
    const items = (own.body as HistoryAnswer).items;
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.tenant))).toEqual(new Set(['team-a']));
    expect(new Set(items.map((i) => i.receiver))).toEqual(new Set(['team-a-hook']));
    expect((await api('/api/v2/history?tenant=team-b', TEAM_A)).status).toBe(403);
    expect((await api(`/api/v2/history?tenant=${encodeURIComponent(GLOBAL_TENANT)}`, TEAM_A)).status).toBe(403);
    expect((await api('/api/v2/history?tenant=team-a')).status).toBe(401);
    const other = await api('/api/v2/history?tenant=team-b', ADMIN);
    expect(new Set((other.body as HistoryAnswer).items.map((i) => i.receiver))).toEqual(new Set(['team-b-hook']));
  });

  it('the route dry run shows a tenant only its own receivers', async () => {
    const alert = { labels: { alertname: 'X', namespace: 'team-a' } };
    const asAdmin = await api('/api/v2/route', ADMIN, { method: 'POST', body: JSON.stringify(alert) });
    expect(((asAdmin.body as { decision: { receivers: Array<{ name: string }> } }).decision.receivers.map((r) => r.name)).sort()).toEqual(['ops-pager', 'team-a-hook']);
    const asTenant = await api('/api/v2/route', TEAM_A, { method: 'POST', body: JSON.stringify(alert) });
    expect(asTenant.status).toBe(200);
    expect(asTenant.body).toMatchObject({ scope: 'tenant', decision: { receivers: [{ name: 'team-a-hook', tenant: 'team-a' }] } });
    expect(JSON.stringify(asTenant.body)).not.toContain('ops-pager');
  });

  it('a rotated ingest token file takes effect without a restart: the new token works, the old one is refused', async () => {
    writeFileSync(ingestTokensFile, `# rotated\n${INGEST_2}\n`);
    // (posts accepted before the file was re-read are legitimate; only the answer is watched)
    await waitFor('old ingest token refused', async () => (await post('BeforeRotation', INGEST_1)) === 401, 15_000, 200);
    expect(await post('OldTokenAfterRotation', INGEST_1)).toBe(401);
    expect(await post('Rotated', INGEST_2)).toBe(200);
    await waitFor('alert posted with the new token delivered', () => alertnames('/team-a').includes('Rotated'), 30_000);
    expect(alertnames('/team-a')).not.toContain('OldTokenAfterRotation');
  });

  it('writes no token to its log', () => {
    const log = stack.logs('ingest');
    expect(log).toContain('ingest listening');
    for (const t of [ADMIN, TEAM_A, INGEST_1, INGEST_2]) expect(log).not.toContain(t);
  });
});
