import { buildSnapshot, formatProblem, loadManifests } from '@nm/manifests';
import { buildRoutingIndex, explainRoute, parseRfc3339, type TenantsOfNamespace } from '@nm/model';
import { EXIT, usageError } from '../errors.js';
import { readAlerts, type AlertInput } from './alert.reader.js';
import { parseArgv, single } from './argv.parser.js';
import { writeLine, type CommandIo } from './command.io.js';
import { ROUTE_HELP } from './help.command.js';
import { failUsage } from './validate.command.js';

/** Revision shown in the explanation ("config revision 1"): a directory is one revision. */
const REVISION = 1;

/** `--tenants ns=user1,user2` (repeatable) → namespace → users. */
export function parseTenants(values: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const value of values) {
    const eq = value.indexOf('=');
    const ns = eq === -1 ? '' : value.slice(0, eq).trim();
    if (ns === '') throw usageError(`--tenants expects NAMESPACE=USER[,USER...], got ${JSON.stringify(value)}`);
    const users = value
      .slice(eq + 1)
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    map.set(ns, [...new Set([...(map.get(ns) ?? []), ...users])]);
  }
  return map;
}

/** A tenant lookup answering from `--tenants`; a namespace not listed is a failed lookup (as a sidecar's 404). */
export function tenantLookup(tenants: ReadonlyMap<string, readonly string[]>): TenantsOfNamespace {
  return (_cluster, namespace) => tenants.get(namespace);
}

/**
 * `nmctl route CONFIG_DIR ALERT.json [--now T] [--tenants NS=U,...]... [--firing FILE]`: prints
 * `explainRoute` for every alert, separated by blank lines. Problems of the configuration go to
 * stderr; with an error nothing is routed (exit 1).
 */
export async function routeCommand(args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const parsed = parseArgv(args, { options: ['now', 'tenants', 'firing'] });
    if (parsed.help) {
      writeLine(io.stdout, ROUTE_HELP);
      return EXIT.ok;
    }
    const [configDir, alertFile, ...extra] = parsed.positionals;
    if (configDir === undefined || alertFile === undefined) throw usageError('expected CONFIG_DIR and ALERT.json');
    if (extra.length > 0) throw usageError(`unexpected argument ${extra[0]}`);

    const nowText = single(parsed, 'now');
    const now = nowText === undefined ? new Date() : parseRfc3339(nowText);
    if (!now) throw usageError(`--now expects an RFC 3339 time such as 2024-05-14T22:30:00Z, got ${JSON.stringify(nowText)}`);
    const tenantValues = parsed.options.get('tenants');
    const tenantsOfNamespace = tenantValues ? tenantLookup(parseTenants(tenantValues)) : undefined;
    const firingFile = single(parsed, 'firing');

    const loaded = await loadManifests([configDir]);
    const alerts: AlertInput[] = await readAlerts(alertFile);
    if (alerts.length === 0) throw usageError(`${alertFile} holds no alert`);
    const firingSources = firingFile === undefined ? undefined : await readAlerts(firingFile);

    for (const p of loaded.problems) writeLine(io.stderr, formatProblem(p));
    const errors = loaded.problems.filter((p) => p.severity === 'error').length;
    if (errors > 0) {
      writeLine(io.stderr, `nmctl route: ${configDir} has ${errors} error${errors === 1 ? '' : 's'}; fix them first (objects with errors would not be applied)`);
      return EXIT.problems;
    }

    const index = buildRoutingIndex(buildSnapshot(loaded.objects, REVISION));
    if (tenantsOfNamespace && index.settings.tenantKey === 'namespace') {
      writeLine(io.stderr, 'nmctl route: note: --tenants is not used because tenantKey is namespace (the namespace is the tenant)');
    }
    alerts.forEach((alert, i) => {
      if (i > 0) writeLine(io.stdout);
      writeLine(io.stdout, explainRoute(alert, index, { now, tenantsOfNamespace, firingSources }).text);
    });
    return EXIT.ok;
  } catch (err) {
    return failUsage('route', io, err);
  }
}
