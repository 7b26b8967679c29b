import { EXIT } from '../errors.js';
import { writeLine, type CommandIo } from './command.io.js';

export const USAGE = `nmctl: check notification-manager manifests and explain how alerts are routed

Usage:
  nmctl validate PATH...
  nmctl route CONFIG_DIR ALERT.json [--now RFC3339] [--tenants NS=USER,...]... [--firing FILE]
  nmctl help [COMMAND]

Commands:
  validate  Validate manifest files and directories; one line per problem
  route     Explain which receivers alerts reach under a configuration, and why
  help      Show the help of a command

Run 'nmctl help COMMAND' for details.`;

export const VALIDATE_HELP = `Usage: nmctl validate PATH...

Validates notification.kubesphere.io/v2beta2 manifests (NotificationManager, Config, Receiver,
Router, Silence, InhibitRule) and the v1 Secrets, v1 ConfigMaps and RoleBindings they use.

PATH is a file or a directory. Directories are read recursively (*.yaml, *.yml, *.json; hidden
entries skipped); a file named explicitly is read whatever its extension. YAML files may hold
several documents.

Prints one line per problem on stdout:
  error|warning FILE Kind/name field: message
and a summary on stderr:
  N errors, M warnings in K objects      (K: objects without errors)

Exit status: 0 when there is no error (warnings allowed), 1 when there is an error,
2 on bad arguments or a PATH that does not exist.`;

export const ROUTE_HELP = `Usage: nmctl route CONFIG_DIR ALERT.json [options]

Loads the manifests of CONFIG_DIR (as 'nmctl validate' does) and explains, for every alert of
ALERT.json, which receivers it reaches and why: global silences, tenants of its namespace,
matched Routers, route policy, tenant silences, inhibition, receiver filters.

ALERT.json holds one alert ({"labels": {...}, "annotations": {...}, "status": ...}), an array of
alerts, or an Alertmanager webhook payload ({"alerts": [...]}).

Options:
  --now RFC3339            Evaluate silences at this time (default: now), e.g. 2024-05-14T22:30:00Z
  --tenants NS=USER,...    Tenants (users) of namespace NS, as a tenant sidecar would answer; repeat
                           for several namespaces. Used when tenantKey is not 'namespace'. Without
                           it the config's RoleBindings are used; a namespace not listed counts as
                           a failed lookup (global receivers only).
  --firing FILE            Firing alerts (same formats as ALERT.json) that may inhibit the alerts
                           through InhibitRules. Without it inhibition is not evaluated.

Exit status: 0 after explaining, 1 when the configuration has errors (they are printed on
stderr), 2 on bad arguments or unreadable files.`;

export const HELP_HELP = `Usage: nmctl help [COMMAND]

Shows the usage of nmctl, or of COMMAND (validate, route, help).`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  validate: VALIDATE_HELP,
  route: ROUTE_HELP,
  help: HELP_HELP,
};

/** `nmctl help [COMMAND]`. */
export function helpCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.length === 0) {
    writeLine(io.stdout, USAGE);
    return Promise.resolve(EXIT.ok);
  }
  const text = args.length === 1 ? COMMAND_HELP[args[0]!] : undefined;
  if (text === undefined) {
    writeLine(io.stderr, `nmctl help: unknown command ${args.join(' ')}`);
    writeLine(io.stderr, USAGE);
    return Promise.resolve(EXIT.usage);
  }
  writeLine(io.stdout, text);
  return Promise.resolve(EXIT.ok);
}
