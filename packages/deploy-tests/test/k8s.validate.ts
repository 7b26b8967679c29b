import { buildCrds } from '@nm/crds';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Ajv, type ValidateFunction } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { K8sObject } from './helm.support.js';

/**
 * Offline validation of rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models,
 * plus the KEDA and prometheus-operator models), and of notification.kubesphere.io objects against
 * the chart's own CRDs. An object of a kind without a schema here is an error, so a new template
 * cannot slip through unchecked.
 */
type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Model> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('date-time', true);
ajv.addFormat('int64', true);
ajv.addKeyword({
  keyword: 'x-kubernetes-int-or-string',
  schemaType: 'boolean',
  validate: (_: boolean, data: unknown) => typeof data === 'string' || Number.isInteger(data),
  errors: false,
});
const CRD_SCHEMAS = new Map<string, ValidateFunction>(
  buildCrds().map((crd) => [`${crd.spec.group}/${crd.spec.versions[0]!.name}/${crd.spec.names.kind}`, ajv.compile(crd.spec.versions[0]!.schema.openAPIV3Schema)]),
);

/** Why the API server would refuse this object ([] when valid). */
export function schemaErrors(obj: K8sObject): string[] {
  const id = `${obj.apiVersion}/${obj.kind}`;
  const crd = CRD_SCHEMAS.get(id);
  if (crd) return crd(obj) ? [] : (crd.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  const model = MODELS[id];
  if (!model) return [`no schema for ${id}`];
  try {
    new model(obj as never).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

export const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'NotificationManager']);
