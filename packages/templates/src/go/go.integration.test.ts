import { describe, expect, it } from '@jest/globals';
import { TemplateRenderError } from '../errors.js';
import { renderNotification } from '../notification.render.js';
import { createTemplateRegistry, validateReceiverTexts } from '../template.registry.js';
import { validateTemplateText } from '../template.validate.js';
import { alert, input } from '../test-support/render.helpers.js';

/** Go templates in the registry, in receivers, inline, and their errors through renderNotification. */
describe('Go templates in configuration', () => {
  it('are chosen per key: a Go key and a mustache key live side by side', () => {
    const { registry, problems } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/g', data: { go: '{{ define "go.line" }}{{ len .Alerts }} via Go{{ end }}', 'm.line': '{{alertCount}} via mustache' } }],
    });
    expect(problems).toEqual([]);
    const alerts = [alert({ alertname: 'A' })];
    expect(renderNotification(registry, input('slack', alerts, { templates: { receiver: { template: 'go.line' } } })).body).toBe('1 via Go');
    expect(renderNotification(registry, input('slack', alerts, { templates: { receiver: { template: 'm.line' } } })).body).toBe('1 via mustache');
  });

  it('a Go definition wins over a mustache key of the same name, and the later key wins between Go keys (both reported)', () => {
    const source = { source: 'configmap ns/g', data: { a: '{{ define "x" }}from a{{ end }}', b: '{{ define "x" }}from b{{ end }}', x: 'mustache x' } };
    expect(validateTemplateText(source).map((p) => [p.severity, p.code, p.key])).toEqual([
      ['warning', 'DUPLICATE_TEMPLATE', 'b'],
      ['warning', 'DUPLICATE_TEMPLATE', 'x'],
    ]);
    const { registry } = createTemplateRegistry({ globalTexts: [source] });
    expect(renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: 'x' } } })).body).toBe('from b');
  });

  it('a receiver Go definition overrides a global one for that receiver only', () => {
    const { registry } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/g', data: { t: '{{ define "line" }}global{{ end }}{{ define "body" }}[{{ template "line" . }}]{{ end }}' } }],
    });
    const alerts = [alert({ alertname: 'A' })];
    expect(renderNotification(registry, input('slack', alerts, { templates: { receiver: { template: 'body' } } })).body).toBe('[global]');
    const own = input('slack', alerts, { receiverTexts: { mine: '{{ define "line" }}mine{{ end }}' }, templates: { receiver: { template: 'body' } } });
    expect(renderNotification(registry, own).body).toBe('[mine]');
  });

  it('an inline Go template in a template field renders, with its own definitions', () => {
    const { registry } = createTemplateRegistry();
    const alerts = [alert({ alertname: 'A' }), alert({ alertname: 'B' }, {}, { status: 'resolved' })];
    const inline = '{{ define "n" }}<{{ .Labels.alertname }}>{{ end }}{{ range .Alerts }}{{ template "n" . }}{{ end }} {{ len .Alerts.Firing }}';
    expect(renderNotification(registry, input('slack', alerts, { templates: { receiver: { template: inline } } })).body).toBe('<A><B> 1');
    // notification-manager's form with more text around the template call.
    const withMessage = [alert({ alertname: 'A' }, { message: 'disk full' })];
    expect(renderNotification(registry, input('slack', withMessage, { templates: { receiver: { template: '>> {{ template "nm.default.message" (index .Alerts 0) }}' } } })).body).toBe(
      '>> [FIRING] disk full',
    );
  });

  it('an execution error fails the rendering naming ConfigMap, key, line, column, template and action', () => {
    const { registry } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/g', data: { template: '{{ define "body" }}\n{{ range .Alerts }}\n  {{ .Lables.pod }}{{ end }}{{ end }}' } }],
    });
    const run = (): unknown => renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: 'body' } } }));
    expect(run).toThrow(TemplateRenderError);
    expect(run).toThrow(
      'template "body": configmap ns/g key "template" line 3 col 6: executing "body" at <.Lables.pod>: can\'t evaluate field Lables in type *template.Alert',
    );
  });

  it('a template calling itself stops at the depth limit instead of running on', () => {
    const { registry } = createTemplateRegistry({ globalTexts: [{ source: 'configmap ns/g', data: { t: '{{ define "loop" }}x{{ template "loop" . }}{{ end }}' } }] });
    const run = (): unknown => renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: 'loop' } } }));
    expect(run).toThrow(/exceeded maximum template depth \(100\)/);
  });

  it('engines calling each other in a cycle stop too', () => {
    const { registry } = createTemplateRegistry({
      globalTexts: [{ source: 'configmap ns/g', data: { go: '{{ define "a" }}a{{ template "b" . }}{{ end }}', b: 'b{{> a}}' } }],
    });
    const run = (): unknown => renderNotification(registry, input('slack', [alert({ alertname: 'A' })], { templates: { receiver: { template: 'a' } } }));
    expect(run).toThrow(TemplateRenderError);
  });

  it('validates receiver texts against the global Go names', () => {
    const { registry } = createTemplateRegistry({ globalTexts: [{ source: 'configmap ns/g', data: { t: '{{ define "shared" }}s{{ end }}' } }] });
    expect(validateReceiverTexts(registry, { source: 'configmap ns/r', data: { r: '{{ define "mine" }}{{ template "shared" . }}{{ template "nm.default.message" . }}{{ end }}' } })).toEqual([]);
  });
});
