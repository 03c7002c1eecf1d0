import { platform } from '@apphub/platform';
import { ManifestInvalidError } from './errors.js';

/** Where a standalone Flink cluster on Kubernetes keeps its HA state. */
export interface KubernetesHaCluster {
  /** `kubernetes.cluster-id`: prefix of the ConfigMaps Flink creates. */
  readonly clusterId: string;
  /** Namespace the Flink pods run in; Flink creates its ConfigMaps there. */
  readonly namespace: string;
}

/**
 * HA metadata (execution plans, completed-checkpoint handles, blobs, job results) in the checkpoint
 * bucket the MinIO bootstrap Job creates; Kubernetes holds only pointers to it.
 */
export const haStorageDir = `s3://${platform.storage.checkpointBucket}/ha`;

/**
 * Flink writes `<cluster-id>-cluster-config-map` and `<cluster-id>-<job id>-config-map`, so the id
 * must make valid ConfigMap names (RFC 1123 subdomain: lowercase); Flink itself would accept `_`.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names
 */
const configMapPrefix = /^[a-z0-9]([-a-z0-9.]{0,150}[a-z0-9])?$/;

/**
 * Flink settings of Kubernetes HA for a standalone cluster (JobManager and TaskManagers as plain
 * Deployments): leader election and job metadata in ConfigMaps, their state in `haStorageDir`.
 * https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/ha/kubernetes_ha/#configuration
 */
export function kubernetesHaSettings(cluster: KubernetesHaCluster): Record<string, string> {
  if (!configMapPrefix.test(cluster.clusterId)) {
    throw new ManifestInvalidError(
      `kubernetes.cluster-id ${JSON.stringify(cluster.clusterId)} cannot prefix ConfigMap names: use lowercase letters, digits, '-' and '.'`,
    );
  }
  return {
    'high-availability.type': 'kubernetes',
    'high-availability.storageDir': haStorageDir,
    // "Needs to be set for standalone clusters" (native Kubernetes derives it from the cluster id):
    // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/config/#high-availability-cluster-id
    'high-availability.cluster-id': cluster.clusterId,
    'kubernetes.cluster-id': cluster.clusterId,
    // The default is "default"; the ConfigMaps must live where the Role grants access.
    'kubernetes.namespace': cluster.namespace,
  };
}

/**
 * RBAC verbs on ConfigMaps. The JobManager elects itself leader and writes job metadata; besides the
 * verbs the HA page lists (get, create, delete, update, list, watch) it needs `patch`: the fabric8
 * ConfigMapLock shaded into flink-kubernetes 2.2 renews its lease with a JSON merge PATCH (the
 * Flink operator's job role grants patch for the same reason:
 * https://github.com/apache/flink-kubernetes-operator/blob/main/helm/flink-kubernetes-operator/templates/rbac/_helpers.tpl).
 * TaskManagers and the SQL Gateway only watch the leader ConfigMap to find the current leader.
 * https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/ha/kubernetes_ha/#prerequisites
 */
export const haConfigMapVerbs = Object.freeze({
  leader: Object.freeze(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
  follower: Object.freeze(['get', 'list', 'watch']),
});
