import { type KafkaSecurity, type LocalEndpoints, parseLocalEndpoints, platform } from '@apphub/platform';
import { containerHosts, namespace } from '../manifests/index.js';
import { localKafkaSecurity } from '../stack/clients.js';

/** Where a job runs: the native stack, the compose demo stack, or the minikube overlay. */
export const sampleTargets = ['native', 'compose', 'minikube'] as const;
export type SampleTarget = (typeof sampleTargets)[number];

/**
 * How a Flink job in `target` reaches Kafka: natively the TLS listener with the local CA (as on MSK);
 * in compose and minikube Redpanda's in-network plaintext listener, the address the SQL resolves
 * inside the containers. The same description renders the table options everywhere.
 */
export function jobKafka(
  target: SampleTarget,
  endpoints: LocalEndpoints = parseLocalEndpoints(),
): { readonly bootstrapServers: string; readonly security: KafkaSecurity } {
  switch (target) {
    case 'native':
      return { bootstrapServers: endpoints.tlsBrokers.join(','), security: localKafkaSecurity() };
    case 'compose':
      return {
        bootstrapServers: `${containerHosts.compose.redpanda}:${platform.ports.kafka}`,
        security: { protocol: 'PLAINTEXT' },
      };
    case 'minikube':
      return {
        bootstrapServers: `${containerHosts.minikube.redpanda}.${namespace}.svc.cluster.local:${platform.ports.kafka}`,
        security: { protocol: 'PLAINTEXT' },
      };
  }
}
