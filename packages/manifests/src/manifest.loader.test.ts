import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ManifestPathError, MANIFEST_ERROR_CODES } from './errors.js';
import { loadManifests } from './manifest.loader.js';
import { formatProblem } from './problem.format.js';
import { API, tempDir, webhookReceiver, type TempDir } from './test-support/temp-dir.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

const lines = (r: Awaited<ReturnType<typeof loadManifests>>): string[] => r.problems.map(formatProblem);
const ids = (r: Awaited<ReturnType<typeof loadManifests>>): string[] => r.objects.map((o) => `${o.file}|${o.kind}/${o.name}`);

describe('loadManifests', () => {
  it('loads every document of a multi-document file and skips empty ones', async () => {
    const file = await dir.write(
      'all.yaml',
      [
        '# leading comment',
        webhookReceiver('r1'),
        '---',
        '# an empty document',
        '---',
        webhookReceiver('r2'),
        '---',
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n  namespace: ops\nstringData:\n  token: abc\n`,
        '---',
        '',
      ].join('\n'),
    );
    const r = await loadManifests([file]);
    expect(r.problems).toEqual([]);
    expect(ids(r)).toEqual([`${file}|Receiver/r1`, `${file}|Receiver/r2`, `${file}|Secret/s1`]);
    expect(r.objects[2]).toMatchObject({ kind: 'Secret', name: 's1', namespace: 'ops' });
    expect(r.objects[0]).not.toHaveProperty('namespace');
    expect(r.objects[0]!.object).toEqual({
      apiVersion: API,
      kind: 'Receiver',
      metadata: { name: 'r1', labels: { type: 'global' } },
      spec: { webhook: { url: 'http://hook.example.com/' } },
    });
  });

  it('leaves out an object with an error and keeps the others', async () => {
    const bad = `apiVersion: ${API}\nkind: Receiver\nmetadata:\n  name: bad\n  labels:\n    type: global\nspec:\n  email:\n    tmplType: html\n`;
    const file = await dir.write('mixed.yaml', [webhookReceiver('good1'), bad, webhookReceiver('good2')].join('---\n'));
    const r = await loadManifests([file]);
    expect(ids(r)).toEqual([`${file}|Receiver/good1`, `${file}|Receiver/good2`]);
    expect(lines(r)).toEqual([`error ${file} Receiver/bad spec.email.to: required field is missing`]);
  });

  it('reports a YAML syntax error with its line and keeps the other documents of the file', async () => {
    const file = await dir.write(
      'broken.yaml',
      [webhookReceiver('before').trimEnd(), '---', 'apiVersion: v1', 'kind: Secret', 'metadata:', '  name: a: b', '---', webhookReceiver('after')].join('\n'),
    );
    const r = await loadManifests([file]);
    expect(ids(r)).toEqual([`${file}|Receiver/before`, `${file}|Receiver/after`]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ severity: 'error', file, kind: '', name: '', field: '' });
    expect(lines(r)).toEqual([`error ${file}: YAML syntax error at line 14, column 9: Nested mappings are not allowed in compact mappings`]);
  });

  it('names the line of a duplicate key', async () => {
    const file = await dir.write('dup-key.yaml', 'apiVersion: v1\nkind: Secret\nkind: ConfigMap\n');
    const r = await loadManifests([file]);
    expect(lines(r)).toEqual([`error ${file}: YAML syntax error at line 3, column 1: Map keys must be unique`]);
    expect(r.objects).toEqual([]);
  });

  it('reports a JSON syntax error with its line', async () => {
    const file = await dir.write('alert.json', '{\n  "apiVersion": "v1",\n  "kind": "Secret"\n  "metadata": {}\n}\n');
    const r = await loadManifests([file]);
    expect(r.problems).toHaveLength(1);
    expect(lines(r)[0]).toMatch(new RegExp(`^error ${file}: JSON syntax error at line 4, column 3: `));
  });

  it('reads JSON files and expands v1 List objects', async () => {
    const item = (name: string): unknown => ({ apiVersion: API, kind: 'Receiver', metadata: { name, labels: { type: 'global' } }, spec: { webhook: { url: 'http://x/' } } });
    const file = await dir.write('list.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [item('j1'), item('j2')] }));
    const r = await loadManifests([file]);
    expect(r.problems).toEqual([]);
    expect(ids(r)).toEqual([`${file}|Receiver/j1`, `${file}|Receiver/j2`]);
  });

  it('keeps the first of two objects with the same kind and name and reports the later one naming both files', async () => {
    const a = await dir.write('a.yaml', webhookReceiver('same', 'http://first/'));
    const b = await dir.write('b.yaml', webhookReceiver('same', 'http://second/'));
    const r = await loadManifests([dir.path]);
    expect(ids(r)).toEqual([`${a}|Receiver/same`]);
    expect(r.objects[0]!.object).toMatchObject({ spec: { webhook: { url: 'http://first/' } } });
    expect(lines(r)).toEqual([`error ${b} Receiver/same metadata.name: duplicate Receiver same: already defined in ${a}; this one is ignored`]);
  });

  it('tells namespaced objects apart by namespace, defaulting it like the snapshot does', async () => {
    const secret = (name: string, ns?: string): string =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}stringData:\n  k: v\n`;
    const nm = `apiVersion: ${API}\nkind: NotificationManager\nmetadata:\n  name: nm\nspec:\n  defaultSecretNamespace: ops\n  receivers:\n    tenantKey: namespace\n`;
    const file = await dir.write('s.yaml', [nm, secret('s', 'dev'), secret('s', 'prod'), secret('s'), secret('s', 'ops')].join('---\n'));
    const r = await loadManifests([file]);
    expect(r.objects.map((o) => `${o.kind}/${o.namespace ?? '-'}/${o.name}`)).toEqual([
      'NotificationManager/-/nm',
      'Secret/dev/s',
      'Secret/prod/s',
      'Secret/-/s',
    ]);
    expect(lines(r)).toEqual([`error ${file} Secret/s metadata.name: duplicate Secret ops/s: already defined in ${file}; this one is ignored`]);
  });

  it('warns about references to missing Secrets, missing keys and missing ConfigMaps', async () => {
    const config = `apiVersion: ${API}
kind: Config
metadata:
  name: slack
  labels:
    type: default
spec:
  slack:
    slackTokenSecret:
      valueFrom:
        secretKeyRef:
          name: nowhere
          key: token
---
apiVersion: ${API}
kind: Config
metadata:
  name: telegram
  labels:
    type: default
spec:
  telegram:
    telegramTokenSecret:
      valueFrom:
        secretKeyRef:
          namespace: ops
          name: tokens
          key: telegram
`;
    const receiver = `apiVersion: ${API}
kind: Receiver
metadata:
  name: mail
  labels:
    type: global
spec:
  email:
    to: [a@example.com]
    tmplText:
      name: templates
      namespace: ops
`;
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: tokens\n  namespace: ops\nstringData:\n  slack: x\n`;
    const c = await dir.write('config.yaml', config);
    const rc = await dir.write('receiver.yaml', receiver);
    await dir.write('secret.yaml', secret);
    const r = await loadManifests([dir.path]);
    expect(r.objects).toHaveLength(4);
    expect(lines(r)).toEqual([
      `warning ${c} Config/slack spec.slack.slackTokenSecret.valueFrom.secretKeyRef: Secret nowhere not found`,
      `warning ${c} Config/telegram spec.telegram.telegramTokenSecret.valueFrom.secretKeyRef: Secret ops/tokens has no key telegram`,
      `warning ${rc} Receiver/mail spec.email.tmplText: ConfigMap ops/templates not found`,
    ]);
  });

  it('resolves references without namespace in the NotificationManager defaultSecretNamespace', async () => {
    const nm = `apiVersion: ${API}\nkind: NotificationManager\nmetadata:\n  name: nm\nspec:\n  defaultSecretNamespace: ops\n  receivers:\n    tenantKey: namespace\n`;
    const config = (secretName: string): string =>
      `apiVersion: ${API}\nkind: Config\nmetadata:\n  name: c-${secretName}\n  labels:\n    type: default\nspec:\n  pushover:\n    pushoverTokenSecret:\n      valueFrom:\n        secretKeyRef:\n          name: ${secretName}\n          key: token\n`;
    const secrets = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: in-ops\n  namespace: ops\nstringData:\n  token: a\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: in-dev\n  namespace: dev\nstringData:\n  token: b\n`;
    const file = await dir.write('all.yaml', [nm, config('in-ops'), config('in-dev'), secrets].join('---\n'));
    const r = await loadManifests([file]);
    expect(lines(r)).toEqual([`warning ${file} Config/c-in-dev spec.pushover.pushoverTokenSecret.valueFrom.secretKeyRef: Secret ops/in-dev not found`]);
  });

  it('keeps objects with unknown fields and reports the fields as warnings', async () => {
    const file = await dir.write(
      'unknown.yaml',
      `apiVersion: ${API}\nkind: Receiver\nmetadata:\n  name: r\n  labels:\n    type: global\nspec:\n  colour: blue\n  slack:\n    channels: [ops]\n    chanel: typo\n`,
    );
    const r = await loadManifests([file]);
    expect(ids(r)).toEqual([`${file}|Receiver/r`]);
    expect(lines(r)).toEqual([
      `warning ${file} Receiver/r spec.colour: unknown field colour is ignored`,
      `warning ${file} Receiver/r spec.slack.chanel: unknown field chanel is ignored`,
    ]);
  });

  it('walks directories recursively in name order, skipping hidden entries and other extensions', async () => {
    await dir.write('b/z.yml', webhookReceiver('bz'));
    await dir.write('b/a.json', JSON.stringify({ apiVersion: API, kind: 'Receiver', metadata: { name: 'ba', labels: { type: 'global' } }, spec: { slack: { channels: ['x'] } } }));
    await dir.write('a.yaml', webhookReceiver('a'));
    await dir.write('c.YAML', webhookReceiver('c'));
    await dir.write('.hidden.yaml', webhookReceiver('hidden'));
    await dir.write('.git/config.yaml', webhookReceiver('in-hidden-dir'));
    await dir.write('notes.txt', webhookReceiver('txt'));
    await dir.write('readme.md', 'not: a manifest\n');
    const r = await loadManifests([dir.path]);
    expect(r.problems).toEqual([]);
    expect(r.objects.map((o) => o.file.slice(dir.path.length + 1))).toEqual(['a.yaml', join('b', 'a.json'), join('b', 'z.yml'), 'c.YAML']);
  });

  it('reads a file named explicitly whatever its extension, once even when named twice', async () => {
    const txt = await dir.write('notes.txt', webhookReceiver('txt'));
    const r = await loadManifests([txt, dir.path, txt]);
    expect(ids(r)).toEqual([`${txt}|Receiver/txt`]);
    expect(r.problems).toEqual([]);
  });

  it('returns nothing for an empty directory', async () => {
    expect(await loadManifests([dir.path])).toEqual({ objects: [], problems: [] });
  });

  it('throws a ManifestPathError for a path that does not exist', async () => {
    const missing = join(dir.path, 'missing');
    const err = await loadManifests([missing]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestPathError);
    expect(err).toMatchObject({ code: MANIFEST_ERROR_CODES.pathNotFound, path: missing, message: `${missing}: no such file or directory` });
  });

  it('reports documents that are not objects and unknown kinds as errors', async () => {
    const file = await dir.write('odd.yaml', `just a string\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n---\n${webhookReceiver('ok')}`);
    const r = await loadManifests([file]);
    expect(ids(r)).toEqual([`${file}|Receiver/ok`]);
    expect(lines(r)).toEqual([
      `error ${file} ?/?: a manifest must be an object`,
      `error ${file} Pod/p kind: unknown kind Pod for apiVersion v1; expected one of Secret, ConfigMap`,
    ]);
  });

  it('warns when a second NotificationManager is present', async () => {
    const nm = (name: string): string => `apiVersion: ${API}\nkind: NotificationManager\nmetadata:\n  name: ${name}\nspec:\n  receivers:\n    tenantKey: namespace\n`;
    const a = await dir.write('a.yaml', nm('first'));
    const b = await dir.write('b.yaml', nm('second'));
    const r = await loadManifests([a, b]);
    expect(ids(r)).toEqual([`${a}|NotificationManager/first`, `${b}|NotificationManager/second`]);
    expect(lines(r)).toEqual([`warning ${b} NotificationManager/second: only one NotificationManager is used: first (the first one read)`]);
  });
});
