import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { captureIo, fixture, NM_DOCS } from '../test-support/capture.js';
import { parseTenants, routeCommand } from './route.command.js';

const CONFIG = fixture('route-config');
const ALERTS = fixture('alerts.json');
const NOW = '2024-01-01T12:00:00Z';

describe('nmctl route', () => {
  it('explains a namespaced alert: global and tenant receivers, its tenants and the silence that mutes it for one tenant', async () => {
    const io = captureIo();
    const code = await routeCommand([CONFIG, ALERTS, '--now', NOW, '--tenants', 'shop=alice,bob'], io);
    expect(code).toBe(0);
    expect(io.err()).toBe('');
    const blocks = io.out().trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    const shop = blocks[0]!.split('\n');
    expect(shop[0]).toBe(
      'Alert {alertname="KubePodCrashLooping", namespace="shop", node="node-1", severity="warning"} at 2024-01-01T12:00:00.000Z (config revision 1)',
    );
    expect(shop).toContain('Global silences: none match');
    expect(shop).toContain('Tenants: alice, bob (namespace shop in cluster default; tenant lookup)');
    expect(shop).toContain('Silenced for slack/bob-slack (tenant bob) by bob-mutes-crashloops');
    expect(shop[shop.length - 1]).toBe('Receivers: webhook/ops-webhook (global), email/alice-email (tenant alice)');
    expect(blocks[0]).not.toContain('carol');
    // Inhibition is only evaluated when --firing is given.
    expect(blocks[0]).not.toContain('inhibit');

    const staging = blocks[1]!.split('\n');
    expect(staging).toContain('Muted before routing by Silence staging-maintenance');
    expect(staging).toContain('Tenants: none (namespace staging in cluster default; tenant lookup failed: global receivers only)');
    expect(staging[staging.length - 1]).toBe('Receivers: webhook/ops-webhook (global)');
  });

  it('reports inhibition by firing alerts given with --firing', async () => {
    const io = captureIo();
    const code = await routeCommand([CONFIG, ALERTS, `--now=${NOW}`, '--tenants=shop=alice', '--firing', fixture('firing.json')], io);
    expect(code).toBe(0);
    const [shop, staging] = io.out().trimEnd().split('\n\n');
    expect(shop!.split('\n')).toContain('Muted before routing by InhibitRule node-down-hides-pod-alerts');
    // The NodeDown source is on node-1 only (equal: [node]).
    expect(staging!.split('\n')).toContain('Global inhibit rules: none inhibit');
  });

  it('reads a single alert object', async () => {
    const single = captureIo();
    expect(await routeCommand([CONFIG, fixture('firing.json'), '--now', NOW], single)).toBe(0);
    expect(single.outLines()[0]).toBe('Alert {alertname="NodeDown", node="node-1"} at 2024-01-01T12:00:00.000Z (config revision 1)');
    expect(single.outLines()).toContain('Tenants: none (no namespace label; global receivers only)');
  });

  it('routes against the documentation examples', async () => {
    const io = captureIo();
    const code = await routeCommand([NM_DOCS, join(fixture('.'), 'alerts.json'), '--now', NOW, '--tenants', 'shop=user1'], io);
    expect(code).toBe(0);
    const first = io.out().split('\n\n')[0]!;
    expect(first).toContain('Tenants: user1 (namespace shop in cluster host; tenant lookup)');
    expect(first).toContain('Router router-by-name targets: email/global-email-receiver (global), email/user1-email-receiver (tenant user1)');
  });

  it('prints the configuration errors and exits 1 without routing', async () => {
    const io = captureIo();
    const dir = fixture('broken-config');
    expect(await routeCommand([dir, ALERTS, '--now', NOW], io)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.errLines()).toEqual([
      `error ${join(dir, 'receivers.yaml')} Receiver/broken spec.webhook: exactly one of url and service must be set`,
      `nmctl route: ${dir} has 1 error; fix them first (objects with errors would not be applied)`,
    ]);
  });

  it.each([
    [[], 'nmctl route: expected CONFIG_DIR and ALERT.json'],
    [[CONFIG], 'nmctl route: expected CONFIG_DIR and ALERT.json'],
    [[CONFIG, ALERTS, 'extra'], 'nmctl route: unexpected argument extra'],
    [[CONFIG, ALERTS, '--tenant', 'a=b'], 'nmctl route: unknown option --tenant'],
    [[CONFIG, ALERTS, '--now'], 'nmctl route: option --now needs a value'],
    [[CONFIG, ALERTS, '--now', 'yesterday'], 'nmctl route: --now expects an RFC 3339 time such as 2024-05-14T22:30:00Z, got "yesterday"'],
    [[CONFIG, ALERTS, '--now', NOW, '--now', NOW], 'nmctl route: option --now may be given only once'],
    [[CONFIG, ALERTS, '--tenants', 'alice'], 'nmctl route: --tenants expects NAMESPACE=USER[,USER...], got "alice"'],
    [[fixture('nope'), ALERTS], `nmctl route: ${fixture('nope')}: no such file or directory`],
    [[CONFIG, fixture('nope.json')], `nmctl route: cannot read ${fixture('nope.json')}: no such file`],
    [[CONFIG, join(CONFIG, 'receivers.yaml')], `nmctl route: ${join(CONFIG, 'receivers.yaml')} is not valid JSON: `],
    [[CONFIG, ALERTS, '--firing', fixture('nope.json')], `nmctl route: cannot read ${fixture('nope.json')}: no such file`],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const io = captureIo();
    expect(await routeCommand(args, io)).toBe(2);
    expect(io.out()).toBe('');
    const lines = io.errLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]!.startsWith(message)).toBe(true);
    expect(lines[1]).toBe("Run 'nmctl help route' for usage.");
  });
});

describe('parseTenants', () => {
  it('merges repeated namespaces and drops empty user names', () => {
    expect(parseTenants(['shop=alice, bob', 'dev=', 'shop=carol,alice'])).toEqual(
      new Map([
        ['shop', ['alice', 'bob', 'carol']],
        ['dev', []],
      ]),
    );
  });
});
