export { toStructural, NonStructuralSchemaError } from './openapi.js';
export type { CelRule, SchemaExtras, ExtrasTable, JSONSchemaProps } from './openapi.js';
export { EXTRAS, schemaAt } from './rules.js';
export { KINDS, GROUP, VERSION, kindSchema, buildCrd, buildCrds } from './definitions.js';
export type { KindDefinition, PrinterColumn, CustomResourceDefinition } from './definitions.js';
export { CRD_DIR, crdFileName, renderCrd, renderCrdFiles } from './render.js';
