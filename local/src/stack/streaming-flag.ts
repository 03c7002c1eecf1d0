import type { LocalEndpoints } from '@apphub/platform';

/** The variable that switches the streaming runtime off everywhere (CDK, native stack, compose, minikube). */
export const streamingFlag = 'APPHUB_STREAMING_ENABLED';

/**
 * What `APPHUB_STREAMING_ENABLED=0` keeps from starting. Every component of this repository serves the
 * Flink runtime: the seed's "streaming stack" is Redpanda with Flink, MinIO holds Flink's checkpoints
 * and the lake the micro-batcher writes, moto the watermark and control-plane tables. So 0 starts none
 * of them, as 0 synthesizes none of the CDK stacks.
 */
export const streamingRuntimeSummary =
  'Kafka, Flink (JobManager, TaskManagers, SQL Gateway), MinIO, moto and the reconciler';

/** Where the flag was honoured; each environment names its own way back. */
export type StreamingEnvironment = 'local:up' | 'compose' | 'minikube';

const restart: Readonly<Record<StreamingEnvironment, string>> = Object.freeze({
  'local:up': 'npm run local:up',
  compose: 'docker compose up -d',
  minikube: 'npm run minikube:apply',
});

/** The one line an environment prints instead of starting the streaming runtime. */
export function streamingDisabledMessage(environment: StreamingEnvironment): string {
  return `streaming is disabled by ${streamingFlag}=0: ${environment} starts none of the streaming runtime (${streamingRuntimeSummary}); unset it or set it to 1 and run ${restart[environment]} again`;
}

/** The one line a command that needs the running stack fails with under APPHUB_STREAMING_ENABLED=0. */
export function streamingRequiredMessage(command: string): string {
  return `${command} needs the streaming runtime, which ${streamingFlag}=0 disables; unset it or set it to 1`;
}

/** Whether to start the streaming runtime, decided from the parsed endpoints: a value, not an action. */
export type StreamingDecision =
  | { readonly start: true }
  | { readonly start: false; readonly message: string };

/** The decision for `environment` under `endpoints` (parsed once by parseLocalEndpoints). */
export function decideStreaming(
  endpoints: Pick<LocalEndpoints, 'streamingEnabled'>,
  environment: StreamingEnvironment,
): StreamingDecision {
  return endpoints.streamingEnabled
    ? { start: true }
    : { start: false, message: streamingDisabledMessage(environment) };
}
