import { EXIT } from '../errors.js';
import { writeLine, type CommandIo } from './command.io.js';

export const USAGE = `nmctl: check notification-manager manifests and explain how alerts are routed

Usage:
  nmctl validate PATH...
  nmctl route CONFIG_DIR ALERT.json [--now RFC3339] [--tenants NS=USER,...]... [--firing FILE]
  nmctl migrate-eventer --sink SINK... [--name NAME] [--configmap FILE]...
  nmctl migrate FILE...
  nmctl help [COMMAND]

Commands:
  validate  Validate manifest files and directories; one line per problem
  route     Explain which receivers alerts reach under a configuration, and why
  migrate-eventer
            Convert kube-eventer webhook sinks into an EventRule and a webhook Receiver
  migrate   Convert notification-manager manifests of v2beta1, v2alpha1 and v1alpha1 to v2beta2
  help      Show the help of a command

Run 'nmctl help COMMAND' for details.`;

export const VALIDATE_HELP = `Usage: nmctl validate PATH...

Validates notification.kubesphere.io/v2beta2 manifests (NotificationManager, Config, Receiver,
Router, Silence, InhibitRule, EventRule) and the v1 Secrets, v1 ConfigMaps and RoleBindings they use.

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

export const MIGRATE_HELP = `Usage: nmctl migrate FILE...

Converts notification-manager manifests of older API versions to notification.kubesphere.io/v2beta2
and prints every document of the FILEs as YAML on stdout (apply them with kubectl):

  - v2beta1 Config, Receiver and NotificationManager: Secret references {namespace, name, key}
    become Credentials {valueFrom: {secretKeyRef: ...}}, as notification-manager's conversion
    webhook did; everything else is carried unchanged.
  - v2alpha1 and v1alpha1 per-channel kinds (EmailConfig, WechatReceiver, SlackConfig, ...):
    one Config or Receiver with that channel's section; the email port becomes a number, the
    Slack channel a channels list, the DingTalk chatid a chatids list, WeChat toUser, toParty and
    toTag lists (split at |). Namespaced objects become cluster-scoped; their Secret references
    without a namespace name the old one. A second object of the same kind and name gets the
    channel as a suffix (NAME-email).
  - v2beta2 objects and other documents (Secrets, ConfigMaps) are printed unchanged.

Server-owned metadata (resourceVersion, uid, managedFields, the last-applied annotation) and
status are dropped. Each converted object is validated as 'nmctl validate' does.

On stderr, one line per difference:
  changed FILE#N Kind/name: message          carried over, but differently (renamed, split)
  not carried FILE#N Kind/name: message      could not be carried over; fix it by hand
and a summary line.

Exit status: 0 when everything was carried over, 1 when something was not, 2 on bad arguments or
a FILE that cannot be read or is not YAML.`;

export const MIGRATE_EVENTER_HELP = `Usage: nmctl migrate-eventer --sink SINK... [--name NAME] [--configmap FILE]...

Converts kube-eventer webhook sinks (the value of its --sink flag:
webhook:<url>?level=...&namespaces=...&kinds=...&reason=...&method=...&header=K=V
&custom_body_configmap=...&custom_body_configmap_namespace=...) into what the event exporter and a
webhook receiver do here, printed as YAML to apply with kubectl:

  - an EventRule with the sink's filters (level, default Warning; namespaces; kinds; reasons) and
    a marker label eventer_<NAME>: "true" on the alerts it selects;
  - a global webhook Receiver selecting the marked alerts, posting to the sink's URL (kube-eventer's
    options removed from its query) with its method (POST when not given: kube-eventer sends GET
    with a body, a webhook here sends a body only with other methods) and headers, and a body
    template giving kube-eventer's default body for each event, or the custom body of the named
    ConfigMap translated to mustache.

Options:
  --sink SINK        A kube-eventer webhook sink (--sink= and webhook: prefixes optional); repeat
                     for several (named NAME-1, NAME-2, ...). Positional arguments count as sinks;
                     kube-eventer's whole flag (--sink=webhook:...) goes after --.
  --name NAME        Name of the EventRule and Receiver (default kube-eventer).
  --configmap FILE   A file with the custom body ConfigMap(s) a sink names (kubectl get configmap
                     -o yaml); its key content is the body template.

A notification holds the events that arrived together (grouped by the NotificationManager's
groupLabels): one event gives exactly kube-eventer's body, several a JSON array of such bodies.

Exit status: 0 when everything converted, 1 when something could not be (a sink that does not
parse, a template action that cannot be translated, a ConfigMap not given), 2 on bad arguments.`;

export const HELP_HELP = `Usage: nmctl help [COMMAND]

Shows the usage of nmctl, or of COMMAND (validate, route, migrate-eventer, help).`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  validate: VALIDATE_HELP,
  route: ROUTE_HELP,
  'migrate-eventer': MIGRATE_EVENTER_HELP,
  migrate: MIGRATE_HELP,
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
