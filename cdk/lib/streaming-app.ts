import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from './config.js';
import { kafkaSecurityOf } from './kafka-access.js';
import { FlinkStack } from './stacks/flink-stack.js';
import { FunctionsStack } from './stacks/functions-stack.js';
import { KafkaStack } from './stacks/kafka-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { ObservabilityStack } from './stacks/observability-stack.js';
import { StorageStack } from './stacks/storage-stack.js';

/** The repository root, found from this file so synth works from any working directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Flink image recipe (owned by infra/). */
export const FLINK_IMAGE_DIRECTORY = path.join(PROJECT_ROOT, 'infra', 'flink-image');

/** The stacks of the streaming deployment, exposed for tests and for callers that add to them. */
export interface StreamingStacks {
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  /** Present when kafkaMode is msk. */
  readonly kafka?: KafkaStack | undefined;
  readonly flink: FlinkStack;
  readonly functions: FunctionsStack;
  readonly observability: ObservabilityStack;
}

/**
 * Adds the streaming stacks to `app` when the config enables them, and cdk-nag's AwsSolutions
 * checks either way (an error finding fails the synth). Returns undefined when disabled.
 */
export function addStreamingStacks(app: App, config: AppConfig): StreamingStacks | undefined {
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  if (!config.streamingEnabled) return undefined;
  const { options } = config;
  const env = config.environment;
  const name = (suffix: string) => `${options.stackPrefix}${suffix}`;

  const network = new NetworkStack(app, name('Network'), { env, options });
  const storage = new StorageStack(app, name('Storage'), { env, options });
  const kafka =
    options.kafka.mode === 'msk' && network.kafkaSecurityGroup !== undefined
      ? new KafkaStack(app, name('Kafka'), {
          env,
          options,
          msk: options.kafka,
          vpc: network.vpc,
          subnets: network.privateSubnets,
          securityGroup: network.kafkaSecurityGroup,
        })
      : undefined;
  const flink = new FlinkStack(app, name('Flink'), {
    env,
    options,
    vpc: network.vpc,
    subnets: network.privateSubnets,
    securityGroup: network.flinkSecurityGroup,
    checkpointBucket: storage.checkpointBucket,
    imageDirectory: FLINK_IMAGE_DIRECTORY,
  });
  const functions = new FunctionsStack(app, name('Functions'), {
    env,
    options,
    projectRoot: PROJECT_ROOT,
    vpc: network.vpc,
    subnets: network.privateSubnets,
    functionSecurityGroup: network.functionSecurityGroup,
    checkpointBucket: storage.checkpointBucket,
    dataLakeBucket: storage.dataLakeBucket,
    watermarkTable: storage.tables.watermarks,
    jobsTable: storage.tables.jobs,
    savepointsTable: storage.tables.savepoints,
    leasesTable: storage.tables.leases,
    autoscaleDecisionsTable: storage.tables.autoscaleDecisions,
    flinkServices: {
      cluster: flink.cluster,
      jobManager: flink.jobManager.service,
      taskManagers: flink.taskManagers.service,
    },
    failedBatches: storage.failedBatches,
    flinkRestUrl: flink.flinkRestUrl,
    sqlGatewayUrl: flink.sqlGatewayUrl,
    mskClusterArn: kafka?.clusterArn,
    kafka: {
      bootstrapServers:
        kafka?.bootstrapBrokersTls ??
        (options.kafka.mode === 'existing' ? options.kafka.bootstrapServers.join(',') : ''),
      security: kafkaSecurityOf(options.kafka),
    },
  });
  const observability = new ObservabilityStack(app, name('Observability'), {
    env,
    options,
    functions,
    failedBatches: storage.failedBatches,
    flinkServices: {
      jobManager: flink.jobManager.service,
      taskManagers: flink.taskManagers.service,
      sqlGateway: flink.sqlGateway.service,
    },
  });
  return { network, storage, kafka, flink, functions, observability };
}
