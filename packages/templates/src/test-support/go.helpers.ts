import { buildGoData } from '../go/data.js';
import { executeGo, newBudget, type ExecLimits, DEFAULT_LIMITS } from '../go/exec.js';
import { funcsFor } from '../go/funcs.js';
import { checkGoText, goTemplatesOf } from '../go/library.js';
import { ANY_SLICE, GoFloat, GoMap, GoObject, GoSlice, goType, type GoValue } from '../go/values.js';
import { createTemplateRegistry } from '../template.registry.js';
import type { TemplateAlert } from '../view.model.js';

const { registry } = createTemplateRegistry();
/** `map[string]interface {}`: with `missingkey=zero` a missing key is a nil interface. */
const INTERFACE_MAP = goType('map[string]interface {}', 'map', { elemZero: null });

/** A JavaScript value as Go would hold it in `interface{}`: maps are `map[string]interface {}`. */
export function goValue(v: unknown): GoValue {
  if (v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean' || v instanceof GoObject) return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new GoFloat(v);
  if (Array.isArray(v)) return new GoSlice(ANY_SLICE, v.map(goValue));
  const entries = Object.create(null) as Record<string, GoValue>;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) entries[k] = goValue(x);
  return new GoMap(INTERFACE_MAP, entries);
}

export interface RunOptions {
  readonly language?: string;
  readonly limits?: Partial<ExecLimits>;
}

/** Parses and executes `text` (named `t`, from `configmap test/t` key `t`) with `data` as dot. */
export function runGo(text: string, data?: unknown, options: RunOptions = {}): string {
  const checked = checkGoText(text);
  if (!checked.ok) throw new Error(`line ${checked.line} col ${checked.column}: ${checked.message}`);
  const origin = { source: 'configmap test/t', key: 't', text };
  const templates = goTemplatesOf(checked.parsed, origin);
  const lookup = (name: string): { go: NonNullable<ReturnType<typeof templates.get>> } | undefined => {
    const t = templates.get(name);
    return t === undefined ? undefined : { go: t };
  };
  return executeGo({ name: 't', tree: checked.parsed.root, origin }, goValue(data), {
    funcs: funcsFor(registry.language(options.language ?? 'English')),
    lookup,
    budget: newBudget({ ...DEFAULT_LIMITS, ...options.limits }),
  });
}

/** The message of the error `runGo` throws. */
export function goError(text: string, data?: unknown, options: RunOptions = {}): string {
  try {
    runGo(text, data, options);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

/** notification-manager's `Data` for alerts, as Go templates see it. */
export function nmData(alerts: readonly TemplateAlert[], more: { groupLabels?: Record<string, string>; timeZone?: string } = {}): GoValue {
  return buildGoData({
    alerts,
    groupLabels: more.groupLabels ?? {},
    receiverName: 'r1',
    externalURL: 'http://alertmanager:9093',
    notificationTime: new Date('2020-04-17T03:00:00Z'),
    timeZone: more.timeZone ?? 'UTC',
  }).data;
}
