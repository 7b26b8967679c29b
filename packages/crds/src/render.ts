import { stringify } from 'yaml';
import { buildCrds, type CustomResourceDefinition } from './definitions.js';

/** Where the chart keeps the generated CRDs, relative to the repository root. */
export const CRD_DIR = 'charts/notification-manager/crds';

const HEADER = [
  '# Generated from the zod schemas of packages/model by packages/crds: do not edit.',
  '# Regenerate with `npm run generate:crds`; a test fails when this file and the model differ.',
].join('\n');

/** File name of a CRD inside CRD_DIR. */
export const crdFileName = (crd: CustomResourceDefinition): string => `${crd.metadata.name}.yaml`;

export function renderCrd(crd: CustomResourceDefinition): string {
  return `${HEADER}\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** Every generated file: name → content. */
export function renderCrdFiles(): Map<string, string> {
  return new Map(buildCrds().map((crd) => [crdFileName(crd), renderCrd(crd)]));
}
