import { describe, expect, it } from '@jest/globals';
import { alert } from '../test-support/render.helpers.js';
import { goError, nmData, runGo } from '../test-support/go.helpers.js';
import { parseTime } from './time.js';

/** Go `text/template` semantics, construct by construct. Expected values are what Go prints. */
describe('Go templates: text, literals and printing', () => {
  it.each<[string, unknown, string]>([
    ['plain text', undefined, 'plain text'],
    ['{{ "a" }}{{ `b\\n` }}', undefined, 'ab\\n'],
    ['{{ "tab\\tq\\"\\u00e9\\x41\\101" }}', undefined, 'tab\tq"éAA'],
    ['{{ 1 }} {{ -2 }} {{ +3 }} {{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }} {{ 1_000 }}', undefined, '1 -2 3 31 15 15 5 1000'],
    ['{{ 1.5 }} {{ 1e3 }} {{ 1.0 }} {{ 0.000001 }} {{ 1e21 }} {{ 123456789.0 }} {{ .5 }}', undefined, '1.5 1000 1 1e-06 1e+21 1.23456789e+08 0.5'],
    ["{{ 'a' }} {{ '\\n' }} {{ '中' }}", undefined, '97 10 20013'],
    ['{{ true }} {{ false }}', undefined, 'true false'],
    ['{{ . }}', 'dot', 'dot'],
    ['{{ .missing }}', {}, '<no value>'],
    ['{{ .a.b }}', { a: { b: 'c' } }, 'c'],
    ['{{ . }}', { b: 1, a: 'x' }, 'map[a:x b:1]'],
    ['{{ . }}', ['a', 1, true], '[a 1 true]'],
    ['{{ print nil }}', undefined, '<nil>'],
    ['{{ . }}', undefined, '<no value>'],
  ])('%s → %j', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: whitespace and comments', () => {
  it.each<[string, string]>([
    ['a  {{- "b" -}}  \n c', 'abc'],
    ['a\n\t{{- "b" }}\n', 'ab\n'],
    ['{{ "a" -}}\n\n  b', 'ab'],
    ['a {{- /* comment */ -}} b', 'ab'],
    ['a{{/* a comment\nover lines */}}b', 'ab'],
    ['a {{-3}}', 'a -3'],
    ['{{ "x" }}{{/* */}}\n', 'x\n'],
    ['{{\n  "newlines inside an action"\n}}', 'newlines inside an action'],
  ])('%j → %j', (text, expected) => {
    expect(runGo(text)).toBe(expected);
  });
});

describe('Go templates: variables', () => {
  it.each<[string, unknown, string]>([
    ['{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}', undefined, '12'],
    ['{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }} {{ $x }}', undefined, 'inner outer'],
    ['{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ end }}{{ $x }}', undefined, 'b'],
    ['{{ with "w" }}{{ $ }}{{ . }}{{ end }}', 'r', 'rw'],
    ['{{ $x := .a }}{{ $x.b }}', { a: { b: 'deep' } }, 'deep'],
    ['{{ if $v := .v }}{{ $v }}{{ else }}none {{ $v }}{{ end }}', { v: '' }, 'none '],
    ['{{ $n := 0 }}{{ range . }}{{ $n = . }}{{ end }}{{ $n }}', [1, 2, 3], '3'],
  ])('%s', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: control structures', () => {
  const chain = '{{ if eq . 1 }}one{{ else if eq . 2 }}two{{ else }}many{{ end }}';
  it.each<[string, unknown, string]>([
    [chain, 1, 'one'],
    [chain, 2, 'two'],
    [chain, 3, 'many'],
    ['{{ if . }}y{{ else }}n{{ end }}', '', 'n'],
    ['{{ if . }}y{{ else }}n{{ end }}', [], 'n'],
    ['{{ if . }}y{{ else }}n{{ end }}', {}, 'n'],
    ['{{ if . }}y{{ else }}n{{ end }}', 0, 'n'],
    ['{{ if . }}y{{ else }}n{{ end }}', 0.5, 'y'],
    ['{{ if . }}y{{ else }}n{{ end }}', undefined, 'n'],
    ['{{ if . }}y{{ else }}n{{ end }}', { a: 1 }, 'y'],
    ['{{ with .x }}[{{ . }}]{{ else }}none{{ end }}', { x: 'v' }, '[v]'],
    ['{{ with .x }}[{{ . }}]{{ else }}none{{ end }}', {}, 'none'],
    ['{{ with .a }}A{{ else with .b }}B{{ . }}{{ else }}C{{ end }}', { b: 'x' }, 'Bx'],
    ['{{ range . }}[{{ . }}]{{ end }}', ['a', 'b'], '[a][b]'],
    ['{{ range $i, $v := . }}{{ $i }}={{ $v }};{{ end }}', ['a', 'b'], '0=a;1=b;'],
    ['{{ range $v := . }}{{ $v }}{{ end }}', ['a', 'b'], 'ab'],
    ['{{ range $k, $v := . }}{{ $k }}:{{ $v }} {{ end }}', { b: 2, a: 1 }, 'a:1 b:2 '],
    ['{{ range . }}x{{ else }}empty{{ end }}', [], 'empty'],
    ['{{ range .none }}x{{ else }}empty{{ end }}', {}, 'empty'],
    ['{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}', [1, 2, 3, 4, 5], '13'],
    ['{{ range . }}{{ range . }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }};{{ end }}', [[1, 2, 3], [4]], '1;4;'],
    ['{{ range 3 }}{{ . }}{{ end }}', undefined, '012'],
    ['{{ $i := 9 }}{{ range $i = . }}{{ end }}{{ $i }}', ['a', 'b'], 'b'],
  ])('%s with %j', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: define, template, block', () => {
  it.each<[string, unknown, string]>([
    ['{{ define "T" }}<{{ . }}>{{ end }}{{ template "T" "x" }}{{ template "T" }}', undefined, '<x><<no value>>'],
    ['{{ block "B" . }}default {{ . }}{{ end }}', 'd', 'default d'],
    ['{{ define "T" }}{{ $ }}{{ end }}{{ template "T" 5 }}', undefined, '5'],
    ['{{ define "T" }}{{ len . }}{{ end }}{{ template "T" .list }}', { list: [1, 2] }, '2'],
    ['{{ define "R" }}{{ if . }}{{ index . 0 }}{{ template "R" slice . 1 }}{{ end }}{{ end }}{{ template "R" . }}', ['a', 'b', 'c'], 'abc'],
    ['{{ define "A" }}a{{ end }}{{ define "A" }}{{ end }}{{ template "A" }}', undefined, 'a'],
  ])('%s', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: comparison and logic', () => {
  it.each<[string, unknown, string]>([
    ['{{ eq 2 1 2 3 }} {{ eq "a" "b" "c" }} {{ eq true true }} {{ eq 1.5 1.5 }}', undefined, 'true false true true'],
    ['{{ ne 1 2 }} {{ ne "a" "a" }}', undefined, 'true false'],
    ['{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }} {{ lt "a" "b" }}', undefined, 'true true true false true'],
    ['{{ eq .missing "x" }} {{ ne .missing "x" }}', {}, 'false true'],
    ['{{ and 1 0 2 }}|{{ and 1 2 }}|{{ or 0 "" "x" }}|{{ or 0 "" }}|{{ not 0 }} {{ not "a" }}', undefined, '0|2|x||true false'],
    ['{{ or 1 (index . 5) }} {{ and 0 (index . 5) }}', [], '1 0'],
    ['{{ if and .a (not .b) }}yes{{ end }}', { a: true, b: false }, 'yes'],
    ['{{ "x" | and 1 }}|{{ "" | or 0 }}', undefined, 'x|'],
  ])('%s', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: len, index, slice', () => {
  it.each<[string, unknown, string]>([
    ['{{ len "héllo" }} {{ len "中文" }}', undefined, '6 6'],
    ['{{ len . }}', [1, 2], '2'],
    ['{{ len . }}', { a: 1, b: 2, c: 3 }, '3'],
    ['{{ index . 1 }}', ['a', 'b'], 'b'],
    ['{{ index . "k" }}|{{ index . "zz" }}', { k: 'v' }, 'v|<no value>'],
    ['{{ index . 0 1 }}', [['a', 'b']], 'b'],
    ['{{ index "abc" 1 }}', undefined, '98'],
    ['{{ slice "abcdef" 1 3 }} {{ slice "abcdef" 4 }} {{ slice "abc" }}', undefined, 'bc ef abc'],
    ['{{ slice . 1 }} {{ slice . 0 2 }}', [1, 2, 3], '[2 3] [1 2]'],
  ])('%s with %j', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: print, printf, println and fmt verbs', () => {
  it.each<[string, unknown, string]>([
    ['{{ print "a" 1 2 "b" }}', undefined, 'a1 2b'],
    ['{{ println "a" 1 }}', undefined, 'a 1\n'],
    ['{{ printf "%s-%d-%v-%q-%x-%X-%t" "s" 42 true "q" 255 "hi" false }}', undefined, 's-42-true-"q"-ff-6869-false'],
    ['{{ printf "%.2f|%f|%e|%g|%5.1f|%-6.2f|" 3.14159 2.5 1234.5678 0.00001234 2.26 1.5 }}', undefined, '3.14|2.500000|1.234568e+03|1.234e-05|  2.3|1.50  |'],
    ['{{ printf "%.1f %.1f %.0f %.0f" 2.25 2.35 0.5 1.5 }}', undefined, '2.2 2.4 0 2'],
    ['{{ printf "%d" "x" }}', undefined, '%!d(string=x)'],
    ['{{ printf "%s %s" "a" }}', undefined, 'a %!s(MISSING)'],
    ['{{ printf "%s" "a" "b" 3 }}', undefined, 'a%!(EXTRA string=b, int=3)'],
    ['{{ printf "100%%" }}', undefined, '100%'],
    ['{{ printf "%5s|%-5s|%05d" "ab" "cd" 42 }}', undefined, '   ab|cd   |00042'],
    ['{{ printf "%v" . }}', { b: 1, a: 'x' }, 'map[a:x b:1]'],
    ['{{ printf "%T %T %T %T %T" 1.5 1 "s" true . }}', ['x'], 'float64 int string bool []interface {}'],
    ['{{ printf "%+d|% d|%x|%08.3f|%c%c|%q|%.3s|%U" 5 5 -255 -3.14159 72 105 65 "abcdef" 9731 }}', undefined, "+5| 5|-ff|-003.142|Hi|'A'|abc|U+2603"],
    ['{{ printf "%v %s" . . }}', ['a', 'b'], '[a b] [a b]'],
    ['{{ printf "%q" . }}', ['a', 'b'], '["a" "b"]'],
    ['{{ printf "%6.2f%%" 99.5 }}', undefined, ' 99.50%'],
    ['{{ printf "%*d|%-*d|" 4 7 3 8 }}', undefined, '   7|8  |'],
    ['{{ printf "%v %v %v" 1e6 100000.0 -0.0001 }}', undefined, '1e+06 100000 -0.0001'],
    ['{{ printf "%g %G %.3g %.3g %e" 1e-7 1e-7 1.0 1234.0 0.0 }}', undefined, '1e-07 1E-07 1 1.23e+03 0.000000e+00'],
    ['{{ printf "%q" "tab\\tnew\\nquote\\" é \\u0001" }}', undefined, '"tab\\tnew\\nquote\\" é \\x01"'],
    ['{{ printf "%x %x" "é" 255 }}', undefined, 'c3a9 ff'],
    ['{{ printf "%d %s" }}', undefined, '%!d(MISSING) %!s(MISSING)'],
    ['{{ printf "%!" 1 }}', undefined, '%!!(int=1)'],
    ['{{ printf "%s" .missing }}', {}, '%!s(<nil>)'],
    ['{{ printf "%v" .missing }}', {}, '<nil>'],
  ])('%s', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe('Go templates: html, js, urlquery, pipelines, parentheses', () => {
  it.each<[string, unknown, string]>([
    ['{{ html "<a href=\\"x\\">&\'" }}', undefined, '&lt;a href=&#34;x&#34;&gt;&amp;&#39;'],
    ['{{ html 1 "<" }}', undefined, '1&lt;'],
    ['{{ js "it\'s <b> & \\"q\\" =\\n" }}', undefined, "it\\'s \\u003Cb\\u003E \\u0026 \\\"q\\\" \\u003D\\u000A"],
    ['{{ urlquery "a b&c=d/é~" }}', undefined, 'a+b%26c%3Dd%2F%C3%A9~'],
    ['{{ "abc" | printf "%s-%s" "x" }}', undefined, 'x-abc'],
    ['{{ . | len | printf "%03d" }}', ['a'], '001'],
    ['{{ (index . 0).name }}', [{ name: 'n' }], 'n'],
    ['{{ printf "%d" (len .) }}', [1, 2, 3], '3'],
    ['{{ (print "a" | printf "%s!") }}', undefined, 'a!'],
  ])('%s', (text, data, expected) => {
    expect(runGo(text, data)).toBe(expected);
  });
});

describe("notification-manager's functions", () => {
  it.each<[string, string, string]>([
    ['{{ toUpper "abc" }} {{ toLower "ÀB" }} {{ title "hello wORLD-x_y" }} {{ toUpper "straße" }}', 'ABC àb Hello WORLD-X_y STRAßE', 'English'],
    ['{{ join ", " (stringSlice "a" "b") }}|{{ stringSlice "a" "b" | join "-" }}|{{ stringSlice }}', 'a, b|a-b|[]', 'English'],
    ['{{ match "^ku" "kube" }} {{ match "x" "kube" }} {{ "kube" | match "(?i)KU" }}', 'true false true', 'English'],
    ['{{ reReplaceAll "(\\\\w+)@(\\\\w+)" "$2 at $1" "me@host you@there" }}', 'host at me there at you', 'English'],
    ['{{ reReplaceAll "a*" "-" "baaac" }}', '-b-c-', 'English'],
    ['{{ reReplaceAll "(a)" "${1}x" "a" }}|{{ reReplaceAll "(a)" "$1x" "a" }}|{{ reReplaceAll "a" "$$" "a" }}|{{ reReplaceAll "(?P<n>a)" "[$n]" "ba" }}', 'ax||$|b[a]', 'English'],
    ['{{ reReplaceAll "é" "e" "café crème" }}', 'cafe crème', 'English'],
    ['{{ safeHtml "<b>" }} {{ safeHtml "x" | printf "%T" }} {{ len (safeHtml "ab") }}', '<b> template.HTML 2', 'English'],
    ['{{ escape "a\\"b\\\\c\\n<&>\\t" }}', 'a\\"b\\\\c\\n\\u003c\\u0026\\u003e\\t', 'English'],
    ['{{ "firing" | translate }} {{ translate "NameSpace" }} {{ translate "unknown" }}', '触发中 项目 unknown', 'zh-cn'],
    ['{{ "firing" | translate }} {{ "resolved" | translate }} {{ translate "namespace" }}', 'FIRING RESOLVED namespace', 'English'],
  ])('%s', (text, expected, language) => {
    expect(runGo(text, undefined, { language })).toBe(expected);
  });
});

describe("notification-manager's data model", () => {
  const a1 = alert({ alertname: 'A', severity: 'critical', rule_id: 'r1', namespace: 'ns1' }, { message: 'm1', summaryCn: '中文', runbook_url: 'u', description: 'd' });
  const a2 = alert({ alertname: 'A', severity: 'warning', namespace: 'ns1' }, { summary: 's2' }, { status: 'resolved', endsAt: '2024-07-01T13:30:00.5Z' });
  const data = nmData([a1, a2], { groupLabels: { alertname: 'A', namespace: 'ns1' }, timeZone: 'Asia/Shanghai' });

  it.each<[string, string, string]>([
    ['{{ .Status }}|{{ len .Alerts }}|{{ len .Alerts.Firing }}|{{ len .Alerts.Resolved }}', '|2|1|1', 'English'],
    ['{{ range .Alerts }}{{ .Status }} {{ end }}', 'firing resolved ', 'English'],
    ['{{ range .Alerts.Firing }}{{ .Labels.severity }}{{ end }}', 'critical', 'English'],
    ['{{ .GroupLabels }} {{ .CommonLabels }}', 'map[alertname:A namespace:ns1] map[alertname:A namespace:ns1]', 'English'],
    ['{{ .CommonLabels.SortedPairs.Names | join "," }} {{ .GroupLabels.Values }}', 'alertname,namespace [A ns1]', 'English'],
    ['{{ with index .Alerts 0 }}{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}{{ end }}', 'alertname=A;namespace=ns1;severity=critical;', 'English'],
    ['{{ with index .Alerts 0 }}{{ .Labels.SortedPairs }}{{ end }}', '[{alertname A} {namespace ns1} {severity critical}]', 'English'],
    ['{{ with index .Alerts 0 }}{{ .Labels.rule_id }} {{ .Labels.nope }}[{{ .Annotations.nope | len }}]{{ end }}', 'r1 [0]', 'English'],
    ['{{ with index .Alerts 0 }}{{ .Annotations.SortedPairs.DefaultFilter.Names }} {{ .Annotations.SortedPairs.Filter "message" "runbook_url" }}{{ end }}', '[description summaryCn] [{description d} {summaryCn 中文}]', 'English'],
    ['{{ with index .Alerts 0 }}{{ .Labels.Remove (stringSlice "severity" "rule_id") }} {{ .Labels.Names }}{{ end }}', 'map[alertname:A namespace:ns1] [alertname namespace severity]', 'English'],
    ['{{ range .Alerts }}{{ .Message }}|{{ .MessageCN }}|{{ . | message }};{{ end }}', 'm1|中文|m1;s2|s2|s2;', 'English'],
    ['{{ range .Alerts }}{{ message . }};{{ end }}', '中文;s2;', 'zh-cn'],
    ['{{ range .Alerts }}{{ .StartsAt }}|{{ .EndsAt }};{{ end }}', '2024-07-01 12:00:00 +0000 UTC|0001-01-01 00:00:00 +0000 UTC;2024-07-01 12:00:00 +0000 UTC|2024-07-01 13:30:00.5 +0000 UTC;', 'English'],
    ['{{ with index .Alerts 1 }}{{ .EndsAt.Format "2006-01-02 15:04:05" }} {{ .EndsAt.Local.Format "15:04 -07:00" }} {{ .EndsAt.IsZero }} {{ (index $.Alerts 0).EndsAt.IsZero }}{{ end }}', '2024-07-01 13:30:00 21:30 +08:00 false true', 'English'],
    ['{{ with index .Alerts 0 }}{{ .StartsAt.Unix }} {{ .StartsAt.Year }} {{ .StartsAt.Before (index $.Alerts 1).EndsAt }}{{ end }}', '1719835200 2024 true', 'English'],
    ['{{ .ExternalURL }} {{ .Receiver }} {{ (index .Alerts 0).ID }} {{ (index .Alerts 0).GeneratorURL }}', `http://alertmanager:9093 r1 ${a1.id} http://prometheus:9090/graph`, 'English'],
    ['{{ (index .Alerts 0).NotificationTime }}', '2020-04-17 03:00:00 +0000 UTC', 'English'],
    ['{{ if eq (len .Alerts) 2 }}two{{ end }} {{ if gt (len .GroupLabels.SortedPairs) 0 }}grouped{{ end }}', 'two grouped', 'English'],
    ['{{ $severity := index .CommonLabels "severity" }}{{ if $severity }}x{{ else }}no common severity{{ end }}', 'no common severity', 'English'],
  ])('%s', (text, expected, language) => {
    expect(runGo(text, data, { language })).toBe(expected);
  });

  it('Status is firing or resolved when every alert is', () => {
    expect(runGo('{{ .Status }}', nmData([a1]))).toBe('firing');
    expect(runGo('{{ .Status }}', nmData([a2]))).toBe('resolved');
  });
});

describe('Go times', () => {
  it.each<[string, string, string]>([
    ['2020-02-26T07:05:04.989876849Z', '2006-01-02 15:04:05.999999999 -0700 MST', '2020-02-26 07:05:04.989876849 +0000 UTC'],
    ['2020-02-26T07:05:04.989876849Z', 'Mon Jan _2 15:04:05 2006', 'Wed Feb 26 07:05:04 2020'],
    ['2020-02-26T07:05:04.989876849Z', '2006-01-02T15:04:05.000Z07:00', '2020-02-26T07:05:04.989Z'],
    ['2020-02-06T17:05:04Z', '3:04:05PM Monday January 2 06 002 __2 .999', '5:05:04PM Thursday February 6 20 037  37 '],
    ['2020-02-26T15:05:04+08:00', '2006-01-02 15:04:05 -0700 MST', '2020-02-26 15:05:04 +0800 +0800'],
    ['2020-02-26T15:05:04-03:30', 'Z07:00 -07 Z0700', '-03:30 -03 -0330'],
    ['2020-02-26T15:05:04.120Z', '05.000 05,99 .9', '04.120 04,12 .1'],
  ])('%s formatted as %j', (value, layout, expected) => {
    expect(parseTime(value, 'UTC').format(layout)).toBe(expected);
  });
});

describe('Go templates: parse errors name line and column', () => {
  it.each<[string, string]>([
    ['{{ .x ', 'line 1 col 1: unclosed action'],
    ['{{ if true }}x', 'unexpected EOF'],
    ['{{ end }}', 'line 1 col 1: unexpected {{end}}'],
    ['a\n{{ else }}', 'line 2 col 4: unexpected {{else}}'],
    ['a\n{{ nofunc . }}', 'line 2 col 4: function "nofunc" not defined'],
    ['{{ $y }}', 'undefined variable "$y"'],
    ['{{ $y = 1 }}', 'undefined variable "$y"'],
    ['{{ range $i, $v := . }}{{ end }}{{ $i }}', 'undefined variable "$i"'],
    ['{{ $x := 1 }}{{ define "T" }}{{ $x }}{{ end }}', 'undefined variable "$x"'],
    ['{{ break }}', '{{break}} outside {{range}}'],
    ['{{ range . }}{{ define "x" }}{{ end }}{{ end }}', 'unexpected <define> in command'],
    ['{{ define "a" }}1{{ end }}{{ define "a" }}2{{ end }}', 'template: multiple definition of template "a"'],
    ['{{ .x | "a" }}', 'non executable command in pipeline stage 2'],
    ['{{ "a".b }}', 'unexpected . after term'],
    ['{{ 3x }}', 'bad number syntax'],
    ['{{ "abc }}', 'unterminated quoted string'],
    ['{{ ) }}', 'unexpected right paren'],
    ['{{ (1 }}', 'unclosed left paren'],
    ['{{ 1i }}', 'complex numbers are not supported'],
    ['{{/* x }}', 'unclosed comment'],
    ['{{/* x */ }}', 'comment ends before closing delimiter'],
    ['{{ }}', 'missing value for command'],
    ['{{ if }}{{ end }}', 'missing value for if'],
    ['{{ template .x }}', 'unexpected ".x" in template clause'],
    ['{{ range $a, $b, $c := . }}{{ end }}', 'too many declarations in range'],
    ['{{ with $a, $b := . }}{{ end }}', 'too many declarations in with'],
    ['{{ "\\q" }}', 'invalid syntax in quoted literal'],
    ['{{ 99999999999999999999 }}', 'integer overflow'],
    ['{{ # }}', 'unexpected "#" in command'],
    [`${'{{ if 1 }}'.repeat(101)}`, 'nesting deeper than 100 levels'],
  ])('%j → %s', (text, expected) => {
    expect(goError(text)).toContain(expected);
  });
});

describe('Go templates: execution errors name template, line, column and action', () => {
  it.each<[string, unknown, string]>([
    ['\n {{ .x.y.z }}', { x: 'str' }, 'configmap test/t key "t" line 2 col 5: executing "t" at <.x.y.z>: can\'t evaluate field y in type string'],
    ['{{ template "nope" }}', undefined, 'executing "t" at <{{ template "nope" }}>: template "nope" not defined'],
    ['{{ define "inner" }}\n\n  {{ index . 3 }}{{ end }}{{ template "inner" . }}', [1], 'line 3 col 6: executing "inner" at <index . 3>: error calling index: index out of range: 3'],
    ['{{ len 3 }}', undefined, 'error calling len: len of type int'],
    ['{{ len .missing }}', {}, 'error calling len: len of untyped nil'],
    ['{{ nil }}', undefined, 'nil is not a command'],
    ['{{ toUpper 3 }}', undefined, 'expected string; found 3'],
    ['{{ 3 | toUpper }}', undefined, 'wrong type for value; expected string; got int'],
    ['{{ toUpper }}', undefined, 'wrong number of args for toUpper: want 1 got 0'],
    ['{{ printf }}', undefined, 'wrong number of args for printf: want at least 1 got 0'],
    ['{{ . "x" }}', 'd', "can't give argument to non-function ."],
    ['{{ range 3.5 }}{{ end }}', undefined, "range can't iterate over 3.5"],
    ['{{ range $i, $v := 3 }}{{ end }}', undefined, "can't use 3 to iterate over more than one variable"],
    ['{{ eq 1 "1" }}', undefined, 'error calling eq: incompatible types for comparison'],
    ['{{ lt true false }}', undefined, 'error calling lt: invalid type for comparison'],
    ['{{ eq . . }}', [1], 'error calling eq: non-comparable type [1]: []interface {}'],
    ['{{ eq 1 }}', undefined, 'error calling eq: missing argument for comparison'],
    ['{{ slice "abc" 2 1 }}', undefined, 'error calling slice: invalid slice index: 2 > 1'],
    ['{{ index . "k" }}', [1], 'error calling index: cannot index slice/array with type string'],
    ['{{ index 1 0 }}', undefined, "error calling index: can't index item of type int"],
    ['{{ match "(" "x" }}', undefined, 'error calling match: invalid regex "(": error parsing regexp: missing closing ): `(`'],
    ['{{ reReplaceAll "(" "" "x" }}', undefined, 'error calling reReplaceAll: regexp: Compile("("): error parsing regexp: missing closing ): `(`'],
    ['{{ message . }}', 's', 'wrong type for value; expected *template.Alert; got string'],
    ['{{ join "," "a" }}', undefined, "can't handle \"a\" for arg of type []string"],
    ['{{ .x.Foo }}', { x: null }, 'nil pointer evaluating interface {}.Foo'],
    ['{{ .a.b }}', {}, 'nil pointer evaluating interface {}.b'],
    ['{{ call . }}', 'f', 'error calling call: non-function f of type string'],
  ])('%j', (text, data, expected) => {
    expect(goError(text, data)).toContain(expected);
  });

  it('names the failing field of the data model', () => {
    expect(goError('{{ range .Alerts }}{{ .Lables.x }}{{ end }}', nmData([alert({ alertname: 'A' })]))).toContain("can't evaluate field Lables in type *template.Alert");
    expect(goError('{{ .Foo }}', nmData([]))).toContain("can't evaluate field Foo in type *template.Data");
    expect(goError('{{ .Alerts.Firing.Firing }}', nmData([]))).toContain("can't evaluate field Firing in type []*template.Alert");
    expect(goError('{{ .Status "x" }}', nmData([]))).toContain('wrong number of args for Status: want 0 got 1');
  });
});

describe('Go templates: bounded execution', () => {
  it('stops recursive template invocations at the depth limit', () => {
    expect(goError('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}')).toContain('exceeded maximum template depth (100)');
  });

  it('stops a long loop at the step budget', () => {
    expect(goError('{{ range 100000000 }}{{ end }}', undefined, { limits: { maxSteps: 10_000 } })).toContain('evaluated more than 10000 steps');
  });

  it('stops exponential template fan-out at the step budget', () => {
    const text = '{{ define "f" }}{{ if . }}{{ template "f" slice . 1 }}{{ template "f" slice . 1 }}{{ end }}{{ end }}{{ template "f" . }}';
    expect(goError(text, Array.from({ length: 60 }, () => 1), { limits: { maxSteps: 100_000 } })).toContain('steps');
  });

  it('stops output beyond the size limit', () => {
    expect(goError('{{ range 1000 }}xxxxxxxxxx{{ end }}', undefined, { limits: { maxOutput: 5000 } })).toContain('the output is larger than 5000 characters');
  });

  it('stops a string doubling in a variable', () => {
    expect(goError('{{ $s := "ab" }}{{ range 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}')).toContain('error calling printf: the result is longer than');
  });
});
