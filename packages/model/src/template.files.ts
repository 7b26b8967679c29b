import type { ConfigmapKeySelector } from './crd/common.schema.js';

/**
 * One entry of `receivers.options.global.templateFile`: notification-manager parsed these files
 * (absolute paths inside its pod, normally a ConfigMap mounted through the NotificationManager's
 * `volumes`/`volumeMounts`) into the global template. Here the path is mapped back to that
 * ConfigMap and key; `problem` says why a path cannot be.
 */
export interface TemplateFileRef {
  index: number;
  path: string;
  /** The ConfigMap and key the file is (namespace: the default namespace, where the pod ran). */
  configMap?: ConfigmapKeySelector | undefined;
  problem?: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

const HOWTO = 'put the template in a ConfigMap and name it in spec.template.text';

/** The ConfigMap key behind `file` (a path relative to the volume), honouring the volume's `items`. */
function keyOf(configMap: Record<string, unknown>, file: string): string | undefined {
  const items = Array.isArray(configMap['items']) ? configMap['items'].filter(isRecord) : undefined;
  if (items && items.length > 0) return str(items.find((i) => str(i['path']) === file)?.['key']);
  return file.includes('/') ? undefined : file;
}

/**
 * Maps each `templateFile` path of a NotificationManager spec to the ConfigMap mounted there by
 * its `volumeMounts` and `volumes` (the longest matching mount; `subPath` and `items` honoured).
 */
export function templateFilesOf(spec: unknown): TemplateFileRef[] {
  if (!isRecord(spec)) return [];
  const receivers = isRecord(spec['receivers']) ? spec['receivers'] : {};
  const options = isRecord(receivers['options']) ? receivers['options'] : {};
  const global = isRecord(options['global']) ? options['global'] : {};
  const files = Array.isArray(global['templateFile']) ? global['templateFile'] : [];
  const mounts = Array.isArray(spec['volumeMounts']) ? spec['volumeMounts'].filter(isRecord) : [];
  const volumes = Array.isArray(spec['volumes']) ? spec['volumes'].filter(isRecord) : [];
  return files.map((raw, index): TemplateFileRef => {
    const path = typeof raw === 'string' ? raw.trim() : '';
    if (!path.startsWith('/')) return { index, path, problem: `${JSON.stringify(raw)} is not an absolute path` };
    const file = trimSlash(path);
    let best: { mount: Record<string, unknown>; mountPath: string } | undefined;
    for (const mount of mounts) {
      const mp = str(mount['mountPath']);
      if (!mp) continue;
      const mountPath = trimSlash(mp);
      const inside = file === mountPath || file.startsWith(mountPath === '/' ? '/' : `${mountPath}/`);
      if (inside && (!best || mountPath.length > best.mountPath.length)) best = { mount, mountPath };
    }
    if (!best) return { index, path, problem: `${path} is not inside any of spec.volumeMounts, so nothing here can read it: ${HOWTO}` };
    const volumeName = str(best.mount['name']);
    const volume = volumes.find((v) => str(v['name']) === volumeName);
    const configMap = volume && isRecord(volume['configMap']) ? volume['configMap'] : undefined;
    const name = configMap ? str(configMap['name']) : undefined;
    if (!configMap || !name) return { index, path, problem: `${path} is mounted from volume ${volumeName ?? '(unnamed)'}, which is not a ConfigMap volume: ${HOWTO}` };
    const subPath = str(best.mount['subPath']);
    let relative: string;
    if (subPath) {
      if (file !== best.mountPath) return { index, path, problem: `${path} is below ${best.mountPath}, which mounts the single file ${subPath} of ConfigMap ${name}: ${HOWTO}` };
      relative = subPath;
    } else {
      if (file === best.mountPath) return { index, path, problem: `${path} is the directory ConfigMap ${name} is mounted at, not one of its files` };
      relative = file.slice(best.mountPath === '/' ? 1 : best.mountPath.length + 1);
    }
    const key = keyOf(configMap, relative);
    if (!key) return { index, path, problem: `${path} is no key of ConfigMap ${name} as volume ${volumeName} mounts it: ${HOWTO}` };
    return { index, path, configMap: { name, key } };
  });
}
