import { readFile } from 'node:fs/promises';
import type { InhibitionAlert } from '@nm/model';
import { inputError } from '../errors.js';
import { isPlainObject as isRecord } from '@nm/model';

/** An alert as read from a file: what routing reads of it. */
export interface AlertInput extends InhibitionAlert {
  annotations?: Record<string, string> | undefined;
}


function stringMap(value: unknown, where: string): Record<string, string> {
  if (!isRecord(value)) throw inputError(`${where} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw inputError(`${where}.${k} must be a string, not ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

function toAlert(value: unknown, where: string): AlertInput {
  if (!isRecord(value)) throw inputError(`${where} must be an object with labels`);
  if (value['labels'] === undefined) throw inputError(`${where} has no labels`);
  const alert: AlertInput = { labels: stringMap(value['labels'], `${where}.labels`) };
  if (value['annotations'] !== undefined && value['annotations'] !== null) alert.annotations = stringMap(value['annotations'], `${where}.annotations`);
  const status = value['status'];
  if (status !== undefined && status !== null) {
    if (status !== 'firing' && status !== 'resolved') throw inputError(`${where}.status must be "firing" or "resolved", not ${JSON.stringify(status)}`);
    alert.status = status;
  }
  return alert;
}

/**
 * Alerts in a parsed JSON value: one alert (`{labels, annotations?, status?, ...}`), an array of
 * alerts, or an Alertmanager webhook payload (`{alerts: [...]}`). `source` names the input in
 * error messages.
 */
export function alertsOf(value: unknown, source: string): AlertInput[] {
  if (Array.isArray(value)) return value.map((a, i) => toAlert(a, `${source}: [${i}]`));
  if (isRecord(value) && Array.isArray(value['alerts'])) return (value['alerts'] as unknown[]).map((a, i) => toAlert(a, `${source}: alerts[${i}]`));
  if (isRecord(value) && 'labels' in value) return [toAlert(value, `${source}: the alert`)];
  throw inputError(`${source}: expected an alert ({"labels": {...}}), an array of alerts, or an Alertmanager webhook payload ({"alerts": [...]})`);
}

/** Reads and parses an alert file; every failure is a `CliError` of code INPUT. */
export async function readAlerts(file: string): Promise<AlertInput[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`, e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw inputError(`${file} is not valid JSON: ${(e as Error).message}`, e);
  }
  return alertsOf(value, file);
}
