/** One finding of validation. `field` is a dotted path such as `spec.email.to` (array items as `[i]`). */
export interface Problem {
  severity: 'error' | 'warning';
  kind: string;
  name: string;
  field: string;
  message: string;
}
