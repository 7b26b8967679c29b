import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateManifest } from '@nm/model';
import { captureIo, fixture } from '../test-support/capture.js';
import { MIGRATE_HELP } from './help.command.js';
import { runNmctl } from './nmctl.command.js';

/** Parsed YAML, walked freely by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tree = Record<string, any>;
type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string }; spec?: Tree };
const docsOf = (out: string): Doc[] => parseAllDocuments(out).map((d) => d.toJS() as Doc);
const secretRef = (name: string, key: string, namespace?: string) => ({ valueFrom: { secretKeyRef: { ...(namespace ? { namespace } : {}), name, key } } });

describe('nmctl migrate', () => {
  it("converts notification-manager's v2beta1 samples as its conversion webhook did: Secret references become Credentials", async () => {
    const io = captureIo();
    const code = await runNmctl(['migrate', fixture('migrate/v2beta1-global-receiver.yaml'), fixture('migrate/v2beta1-default-config.yaml')], io);
    expect(io.err()).toBe('2 objects written, 0 changes, 0 not carried over\n');
    expect(code).toBe(0);
    const [receiver, config] = docsOf(io.out());
    expect(receiver!.apiVersion).toBe('notification.kubesphere.io/v2beta2');
    expect(receiver!.metadata).toEqual({ name: 'global-receiver', labels: { app: 'notification-manager', type: 'global' } });
    expect(receiver!.spec!['dingtalk']).toEqual({
      conversation: { chatids: ['chat894f9f4d634eb283933af6c7102977b2'] },
      chatbot: { webhook: secretRef('global-receiver-secret', 'webhook'), keywords: ['kubesphere'], secret: secretRef('global-receiver-secret', 'secret') },
    });
    expect(receiver!.spec!['webhook']['httpConfig']).toEqual({
      basicAuth: { username: 'user', password: secretRef('global-receiver-secret', 'password') },
      tlsConfig: {
        serverName: '*',
        rootCA: secretRef('default-webhook-secret', 'ca'),
        clientCertificate: { cert: secretRef('global-receiver-secret', 'cert'), key: secretRef('global-receiver-secret', 'key') },
        insecureSkipVerify: false,
      },
    });
    expect(receiver!.spec!['wechat']).toEqual({ toUser: ['user1', 'user2'], toParty: ['party1', 'party2'], toTag: ['tag1', 'tag2'] });
    expect(config!.spec!['email']['authPassword']).toEqual(secretRef('default-email-secret', 'password'));
    expect(config!.spec!['dingtalk']['conversation']).toEqual({ appkey: secretRef('defalut-config-secret', 'appkey'), appsecret: secretRef('defalut-config-secret', 'appsecret') });
    expect(config!.spec!['slack']['slackTokenSecret']).toEqual(secretRef('defalut-config-secret', 'token'));
    expect(config!.spec!['wechat']['wechatApiSecret']).toEqual(secretRef('defalut-config-secret', 'wechat'));
    for (const d of [receiver, config]) expect(validateManifest(d).problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('turns v2alpha1 per-channel kinds into Configs and Receivers, renames clashes, and says what it could not carry', async () => {
    const io = captureIo();
    const file = fixture('migrate/v2alpha1-channels.yaml');
    expect(await runNmctl(['migrate', file], io)).toBe(1);
    const docs = docsOf(io.out());
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}/${d.metadata.name}`)).toEqual([
      'notification.kubesphere.io/v2beta2 Config/default-email-config',
      'notification.kubesphere.io/v2beta2 Receiver/global-receiver',
      'notification.kubesphere.io/v2beta2 Receiver/global-receiver-wechat',
      'notification.kubesphere.io/v2beta2 Config/default-slack-config',
      'notification.kubesphere.io/v2beta2 Receiver/user1-slack-receiver',
      'notification.kubesphere.io/v2beta2 Receiver/global-dingtalk-receiver',
      'notification.kubesphere.io/v2beta2 Receiver/global-webhook-receiver',
      'v1 Secret/default-email-secret',
      'notification.kubesphere.io/v2beta2 Config/broken-port',
    ]);
    const byName = new Map(docs.map((d) => [d.metadata.name, d]));
    expect(byName.get('default-email-config')!.spec).toEqual({
      email: { authPassword: secretRef('default-email-secret', 'password'), authUsername: 'sender1', from: 'sender1@xyz.com', requireTLS: true, smartHost: { host: 'imap.xyz.com', port: 25 } },
    });
    expect(byName.get('global-receiver')!.spec).toEqual({ email: { to: ['receiver1@xyz.com', 'receiver2@xyz.com'] } });
    expect(byName.get('global-receiver-wechat')!.spec).toEqual({ wechat: { toUser: ['user1', 'user2'], toParty: ['party1'] } });
    const slack = byName.get('user1-slack-receiver')!;
    expect(slack.spec).toEqual({ slack: { slackConfigSelector: { matchLabels: { type: 'tenant', user: 'user1' } }, channels: ['alerts'] } });
    expect(slack.metadata).toEqual({ name: 'user1-slack-receiver', labels: { app: 'notification-manager', type: 'tenant', user: 'user1' } });
    expect(byName.get('global-dingtalk-receiver')!.spec!['dingtalk']).toEqual({
      chatbot: { webhook: secretRef('default-dingtalk-secret', 'webhook'), keywords: ['kubesphere'] },
      conversation: { chatids: ['chat894f9f4d634eb283933af6c7102977b2'] },
    });
    expect(byName.get('global-webhook-receiver')!.spec!['webhook']['httpConfig']).toEqual({ bearerToken: secretRef('default-webhook-secret', 'password') });
    expect(byName.get('default-email-secret')).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'default-email-secret', namespace: 'kubesphere-monitoring-system' }, data: { password: 'dGVzdA==' } });
    expect(io.errLines()).toEqual([
      `changed ${file}#3 Receiver/global-receiver-wechat: spec.wechat.toUser "user1|user2" split at | into 2 entries`,
      `changed ${file}#3 Receiver/global-receiver-wechat: renamed from global-receiver: another Receiver has that name`,
      `not carried ${file}#9 Config/broken-port: spec.email.smartHost.port "smtp" is not a port number: set it by hand`,
      `not carried ${file}#9 Config/broken-port: after conversion, error spec.email.smartHost.port: Invalid input: expected number, received string`,
      '9 objects written, 2 changes, 2 not carried over',
    ]);
  });

  it('makes v1alpha1 namespaced objects cluster-scoped with their Secret references in the old namespace, and reports unknown kinds', async () => {
    const io = captureIo();
    const file = fixture('migrate/v1alpha1-namespaced.yaml');
    expect(await runNmctl(['migrate', file], io)).toBe(1);
    const [config, ...rest] = docsOf(io.out());
    expect(rest).toEqual([]);
    expect(config!.metadata).toEqual({ name: 'team-email', labels: { type: 'tenant', user: 'alice' } });
    expect(config!.spec!['email']['authPassword']).toEqual(secretRef('smtp', 'password', 'team-a'));
    expect(config!.spec!['email']['smartHost']).toEqual({ host: 'smtp.team-a.example.com', port: 587 });
    expect(io.errLines()).toEqual([
      `changed ${file}#1 Config/team-email: was EmailConfig in namespace team-a; Config is cluster-scoped now (Secret references without a namespace name team-a)`,
      `not carried ${file}#2 Mystery/what: notification.kubesphere.io/v1alpha1 Mystery has no v2beta2 counterpart: not converted`,
      '1 objects written, 1 changes, 1 not carried over',
    ]);
  });

  it('passes v2beta2 through unchanged, and refuses files it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-migrate-'));
    try {
      const current = join(dir, 'current.yaml');
      writeFileSync(current, 'apiVersion: notification.kubesphere.io/v2beta2\nkind: Receiver\nmetadata:\n  name: r\nspec:\n  email:\n    to: [a@example.com]\n');
      const ok = captureIo();
      expect(await runNmctl(['migrate', current], ok)).toBe(0);
      expect(docsOf(ok.out())).toEqual([{ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name: 'r' }, spec: { email: { to: ['a@example.com'] } } }]);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'a: [\n');
      const broken = captureIo();
      expect(await runNmctl(['migrate', bad], broken)).toBe(2);
      expect(broken.errLines()[0]).toMatch(/^nmctl migrate: .*bad\.yaml: document 1 is not YAML/);
      const missing = captureIo();
      expect(await runNmctl(['migrate', join(dir, 'none.yaml')], missing)).toBe(2);
      expect(missing.errLines()[0]).toContain('cannot read');
      const none = captureIo();
      expect(await runNmctl(['migrate'], none)).toBe(2);
      const help = captureIo();
      expect(await runNmctl(['help', 'migrate'], help)).toBe(0);
      expect(help.out()).toBe(`${MIGRATE_HELP}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
