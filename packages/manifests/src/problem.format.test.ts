import { describe, expect, it } from '@jest/globals';
import { formatProblem } from './problem.format.js';

describe('formatProblem', () => {
  it('prints severity, file, Kind/name, field and message on one line', () => {
    expect(
      formatProblem({ severity: 'error', file: 'cfg/receivers.yaml', kind: 'Receiver', name: 'mail', field: 'spec.email.to', message: 'at least one address is required' }),
    ).toBe('error cfg/receivers.yaml Receiver/mail spec.email.to: at least one address is required');
    expect(formatProblem({ severity: 'warning', file: 'a.yaml', kind: 'Config', name: 'c', field: 'spec', message: 'the Config defines no channel section' })).toBe(
      'warning a.yaml Config/c spec: the Config defines no channel section',
    );
  });

  it('leaves out an empty field, and Kind/name of a problem of the whole file', () => {
    expect(formatProblem({ severity: 'warning', file: 'a.yaml', kind: 'NotificationManager', name: 'nm', field: '', message: 'm' })).toBe(
      'warning a.yaml NotificationManager/nm: m',
    );
    expect(formatProblem({ severity: 'error', file: 'a.yaml', kind: '', name: '', field: '', message: 'YAML syntax error at line 2, column 1: x' })).toBe(
      'error a.yaml: YAML syntax error at line 2, column 1: x',
    );
  });

  it('keeps multi-line messages on one line', () => {
    expect(formatProblem({ severity: 'error', file: 'f', kind: 'K', name: 'n', field: 'x', message: 'first\n  second\r\nthird' })).toBe('error f K/n x: first second third');
  });
});
