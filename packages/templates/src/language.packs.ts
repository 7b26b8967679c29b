import { parse as parseYaml, YAMLParseError } from 'yaml';
import { LruCache } from './lru.cache.js';
import { PROBLEM_CODES, type TemplateProblem } from './template.problem.js';

/** The default language's name, as notification-manager spells it. */
export const ENGLISH = 'English';
export const ZH_CN = 'zh-cn';

/** English only upper-cases the two statuses, and no language pack can change that. */
const ENGLISH_DICTIONARY: ReadonlyMap<string, string> = new Map([
  ['firing', 'FIRING'],
  ['resolved', 'RESOLVED'],
]);

/** The shipped `zh-cn` pack (ConfigMap `zh-cn`), plus the words notification-manager added later. */
const ZH_CN_WORDS: Readonly<Record<string, string>> = {
  alert: '告警',
  alerts: '告警',
  firing: '触发中',
  resolved: '已解决',
  alertname: '告警名称',
  alerttype: '告警类型',
  cluster: '集群',
  namespace: '项目',
  severity: '告警级别',
  container: '容器',
  pod: '容器组',
  service: '服务',
  deployment: '部署',
  job: '任务',
  daemonset: '守护进程集',
  statefulset: '有状态副本集',
  instance: '实例',
  resource: '资源',
  user: '用户',
  verb: '操作',
  group: '用户组',
  requestReceivedTimestamp: '请求接收时间',
  role: '角色',
  host_ip: '主机IP',
  node: '节点',
  rule_id: '告警规则',
  owner_kind: '目标类型',
  workload: '工作负载',
  rule_group: '规则组',
  rule_level: '规则级别',
  name: '名称',
  receiver: '接收者',
  receiver_type: '接收者类型',
  workload_type: '工作负载类型',
  rule_type: '规则类型',
  reason: '原因',
};

/** One language: its name as configured and its dictionary (keys lower-cased). */
export interface Language {
  readonly name: string;
  readonly dictionary: ReadonlyMap<string, string>;
  /** Messages prefer the Chinese summary (`summaryCn`) in this language. */
  readonly chineseFirst: boolean;
}

/** Looks up a word, case-insensitively; unknown words come back unchanged. */
export function translateWord(language: Language, word: string): string {
  return language.dictionary.get(word.toLowerCase()) ?? word;
}

/** A set of languages, looked up by name case-insensitively (`zh-CN` finds `zh-cn`). */
export class LanguageSet {
  private readonly byKey: ReadonlyMap<string, Language>;

  constructor(languages: Iterable<Language>) {
    const m = new Map<string, Language>();
    for (const l of languages) m.set(l.name.toLowerCase(), l);
    this.byKey = m;
  }

  has(name: string): boolean {
    return this.byKey.has(name.toLowerCase());
  }

  /** The named language; an unknown name gives a language with an empty dictionary. */
  get(name: string): Language {
    const found = this.byKey.get(name.toLowerCase());
    if (found !== undefined) return found;
    return { name, dictionary: new Map(), chineseFirst: name.toLowerCase() === ZH_CN };
  }

  names(): string[] {
    return [...this.byKey.values()].map((l) => l.name);
  }
}

/** One `[{name, dictionary}]` entry after parsing. */
export interface PackEntry {
  readonly name: string;
  readonly words: ReadonlyMap<string, string>;
}

interface ParsedPack {
  readonly entries: readonly PackEntry[];
  readonly problems: readonly { line?: number; message: string }[];
}

const packCache = new LruCache<ParsedPack>(256);

/**
 * Parses one language-pack value: YAML of the form `[{name: <language>, dictionary: {word: text}}]`.
 * Dictionary keys are lower-cased. Results are cached by content.
 */
export function parseLanguagePackText(text: string): ParsedPack {
  const cached = packCache.get(text);
  if (cached !== undefined) return cached;
  const result = parsePack(text);
  packCache.set(text, result);
  return result;
}

function parsePack(text: string): ParsedPack {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]?.line;
      const message = `not valid YAML: ${err.message.split('\n')[0] ?? err.message}`;
      return { entries: [], problems: [line === undefined ? { message } : { line, message }] };
    }
    return { entries: [], problems: [{ message: `not valid YAML: ${String(err)}` }] };
  }
  if (doc === null || doc === undefined) return { entries: [], problems: [] };
  if (!Array.isArray(doc)) {
    return { entries: [], problems: [{ message: 'a language pack is a YAML list of {name, dictionary}' }] };
  }
  const entries: PackEntry[] = [];
  const problems: { message: string }[] = [];
  doc.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) {
      problems.push({ message: `item ${index} is not a {name, dictionary} object` });
      return;
    }
    const { name, dictionary } = item as { name?: unknown; dictionary?: unknown };
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push({ message: `item ${index} has no name` });
      return;
    }
    if (dictionary !== undefined && dictionary !== null && (typeof dictionary !== 'object' || Array.isArray(dictionary))) {
      problems.push({ message: `language "${name}": dictionary must be a map of word to translation` });
      return;
    }
    const words = new Map<string, string>();
    for (const [k, v] of Object.entries((dictionary ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        problems.push({ message: `language "${name}": the translation of "${k}" is not text` });
        continue;
      }
      words.set(k.toLowerCase(), String(v).trim());
    }
    entries.push({ name: name.trim(), words });
  });
  return { entries, problems };
}

export interface LanguagePackSource {
  /** `configmap <namespace>/<name>`. */
  readonly source: string;
  /** ConfigMap data: each value is one pack. */
  readonly data: Readonly<Record<string, string>>;
}

/**
 * Builds the language set: built-in English and zh-cn, then every pack in order (later words win;
 * a pack for a built-in language adds to or overrides its words), then English is forced back to
 * {firing: FIRING, resolved: RESOLVED} as notification-manager does.
 */
export function buildLanguages(packs: readonly LanguagePackSource[]): { languages: LanguageSet; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  const words = new Map<string, { name: string; words: Map<string, string> }>();
  words.set(ZH_CN, { name: ZH_CN, words: new Map(Object.entries(ZH_CN_WORDS).map(([k, v]) => [k.toLowerCase(), v])) });
  for (const pack of packs) {
    for (const [key, text] of Object.entries(pack.data)) {
      const parsed = parseLanguagePackText(text);
      for (const p of parsed.problems) {
        problems.push({
          severity: 'error',
          code: PROBLEM_CODES.languagePack,
          source: pack.source,
          key,
          ...(p.line === undefined ? {} : { line: p.line }),
          message: p.message,
        });
      }
      for (const entry of parsed.entries) {
        const k = entry.name.toLowerCase();
        if (k === ENGLISH.toLowerCase()) {
          problems.push({
            severity: 'warning',
            code: PROBLEM_CODES.englishPack,
            source: pack.source,
            key,
            message: 'the English dictionary is fixed ({firing: FIRING, resolved: RESOLVED}); this pack entry is ignored',
          });
          continue;
        }
        const target = words.get(k) ?? { name: entry.name, words: new Map<string, string>() };
        for (const [w, t] of entry.words) target.words.set(w, t);
        words.set(k, target);
      }
    }
  }
  const languages: Language[] = [{ name: ENGLISH, dictionary: ENGLISH_DICTIONARY, chineseFirst: false }];
  for (const [k, v] of words) languages.push({ name: v.name, dictionary: v.words, chineseFirst: k === ZH_CN });
  return { languages: new LanguageSet(languages), problems };
}
