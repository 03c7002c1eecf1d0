import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  LOCAL_AWS_CREDENTIALS,
  type LocalEndpoints,
  platform,
  renderFlinkSettings,
  s3SnapshotDirectories,
  toFlinkYaml,
} from '@apphub/platform';
import type { StackPaths } from './paths.js';
import { kafkaTlsFiles } from './tls.js';

/** Log4j 2 configuration shared by every JVM of the stack: plain lines on stdout, which go to the log file. */
const log4jProperties = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %-5p %c{1.} - %m%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.kafkaclients.name = org.apache.kafka.clients
logger.kafkaclients.level = WARN
`;

/**
 * The native stack's Flink settings: the shared platform settings plus loopback addresses, with
 * checkpoints and savepoints in the checkpoint bucket on MinIO through the S3 plugin, as on ECS (see
 * renderFlinkSettings for what every environment shares).
 */
export function nativeFlinkSettings(paths: StackPaths, endpoints: LocalEndpoints): Record<string, string> {
  const loopback = '127.0.0.1';
  return renderFlinkSettings({
    jobManagerAddress: loopback,
    restBindAddress: loopback,
    ...s3SnapshotDirectories(platform.storage.checkpointBucket),
    s3Endpoint: { url: endpoints.s3EndpointUrl, credentials: LOCAL_AWS_CREDENTIALS },
    overrides: {
      'execution.checkpointing.interval': endpoints.checkpointInterval,
      'rest.port': String(endpoints.flinkUiPort),
      'rest.address': loopback,
      'jobmanager.bind-host': loopback,
      'taskmanager.bind-host': loopback,
      'taskmanager.host': loopback,
      'blob.server.port': String(platform.ports.blobServer),
      // An ephemeral port, as Flink's default: from a fixed range a restarted TaskManager takes the dead
      // one's port again, and the JobManager's Pekko remoting, still holding an association to that
      // address, drops the new one's messages, so it never registers (seen in CI).
      'taskmanager.rpc.port': '0',
      'taskmanager.data.port': '0',
      'jobmanager.memory.process.size': '1024m',
      'taskmanager.memory.process.size': '1536m',
      'io.tmp.dirs': paths.flinkTmp,
      'metrics.reporter.prom.port': String(platform.ports.prometheusJobManager),
      // Same Prometheus reporter, bound to loopback: the stock one has no host option (local/jars/reporter).
      'metrics.reporter.prom.factory.class':
        'org.apache.flink.metrics.prometheus.LoopbackPrometheusReporterFactory',
      'metrics.reporter.prom.host': loopback,
      'execution.target': 'remote',
      'sql-gateway.endpoint.rest.address': loopback,
      'sql-gateway.endpoint.rest.bind-address': loopback,
      'sql-gateway.endpoint.rest.port': String(platform.ports.sqlGateway),
      'table.local-time-zone': 'UTC',
    },
  });
}

/** Writes the Flink config directory (config.yaml + log4j) and returns its path. */
export function writeFlinkConf(paths: StackPaths, endpoints: LocalEndpoints): string {
  for (const directory of [paths.flinkConf, paths.flinkTmp]) {
    mkdirSync(directory, { recursive: true });
  }
  writeFileSync(
    path.join(paths.flinkConf, 'config.yaml'),
    toFlinkYaml(nativeFlinkSettings(paths, endpoints)),
  );
  writeFileSync(path.join(paths.flinkConf, 'log4j.properties'), log4jProperties);
  writeFileSync(path.join(paths.flinkConf, 'log4j-console.properties'), log4jProperties);
  return paths.flinkConf;
}

/**
 * Kafka's KRaft single-node properties, bound to loopback only: a plaintext listener for tools and a
 * TLS listener on MSK's TLS port with a certificate from the local CA, which the Flink job and the
 * micro-batcher use as they use MSK.
 */
export function writeKafkaConf(
  paths: StackPaths,
  endpoints: LocalEndpoints,
): { serverProperties: string; log4j: string } {
  mkdirSync(paths.kafkaConf, { recursive: true });
  mkdirSync(paths.kafkaData, { recursive: true });
  const [host, port] = (endpoints.brokers[0] ?? `127.0.0.1:${platform.ports.kafka}`).split(':');
  const controller = `127.0.0.1:${platform.ports.kafkaController}`;
  const tls = endpoints.tlsBrokers[0] ?? `127.0.0.1:${platform.ports.kafkaTls}`;
  const properties = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': controller,
    listeners: `PLAINTEXT://${host}:${port},SSL://${tls},CONTROLLER://${controller}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port},SSL://${tls}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL',
    // A PEM file with the key and its certificate chain; the key is not encrypted, so no password.
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': kafkaTlsFiles(paths).brokerKeystorePem,
    'ssl.client.auth': 'none',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': paths.kafkaData,
    'num.partitions': '3',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
  };
  const serverProperties = path.join(paths.kafkaConf, 'server.properties');
  writeFileSync(
    serverProperties,
    `${Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const log4j = path.join(paths.kafkaConf, 'log4j2.properties');
  writeFileSync(log4j, log4jProperties);
  return { serverProperties, log4j };
}

/** A stable KRaft cluster id, generated once per stack directory. */
export function kafkaClusterId(paths: StackPaths): string {
  const file = path.join(paths.kafkaConf, 'cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = newKafkaClusterId();
  mkdirSync(paths.kafkaConf, { recursive: true });
  writeFileSync(file, id);
  return id;
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding. Like Kafka's own
 * Uuid.randomUuid, an id starting with '-' is drawn again: command-line parsers read it as an option.
 */
export function newKafkaClusterId(
  random: () => Uint8Array = () => crypto.getRandomValues(new Uint8Array(16)),
): string {
  for (;;) {
    const id = Buffer.from(random()).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
