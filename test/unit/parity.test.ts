import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { renderEcsFlinkSettings } from '../../cdk/lib/flink-settings.js';
import {
  composeFiles,
  e2eRepoMount,
  flinkImageDir,
  minikubeDir,
  outdatedManifests,
  parseFlinkProperties,
  renderManifests,
  sqlDir,
} from '../../local/src/manifests/index.js';
import { nativeFlinkSettings } from '../../local/src/stack/config-files.js';
import { repoRoot, stackPaths } from '../../local/src/stack/paths.js';

type Settings = Record<string, string>;
/** Parsed YAML: its shape is what the assertions check. */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type Parsed = Record<string, any>;
type ComposeFile = { services: Record<string, Parsed> };

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** Compose substitutes `${NAME:-fallback}` with the fallback when NAME is unset; the parity is about that default. */
function composeDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

function composeFile(file: string): ComposeFile {
  return parse(read(file)) as ComposeFile;
}

/** The settings a Flink container of the committed compose file starts with, as the image's entrypoint reads them. */
function composeSettings(service: string, file = composeFiles.demo): Settings {
  const properties = composeFile(file).services[service]?.environment?.FLINK_PROPERTIES;
  expect(properties, `${file}: ${service} has FLINK_PROPERTIES`).toBeTypeOf('string');
  return parseFlinkProperties(composeDefaults(properties as string));
}

function minikubeObjects(): Parsed[] {
  return readdirSync(path.join(repoRoot, minikubeDir))
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) => parseAllDocuments(read(`${minikubeDir}/${file}`)).map((document) => document.toJS()));
}

/** The committed ConfigMap's config.yaml, parsed as Flink 2.x parses it (standard YAML). */
function minikubeSettings(): Settings {
  const configMap = minikubeObjects().find(
    (object) => object.kind === 'ConfigMap' && object.metadata.name === 'apphub-flink-config',
  );
  const parsed = parse(configMap?.data?.['config.yaml'] ?? '') as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
}

function nativeSettings(): Settings {
  return nativeFlinkSettings(
    stackPaths(mkdtempSync(path.join(tmpdir(), 'apphub-parity-'))),
    parseLocalEndpoints({}),
  );
}

function ecsSettings(): Settings {
  return renderEcsFlinkSettings({
    namespace: 'apphub-streaming.internal',
    checkpointBucket: platform.storage.checkpointBucket,
    jobManagerMemoryMiB: 2048,
    taskManagerMemoryMiB: 4096,
  });
}

/** Flink's Prometheus reporter listens on 9249 when no port is set. */
const prometheusDefaultPort = '9249';

/** Settings that must be identical in every environment, with the platform's value. */
const sharedSettings: Settings = {
  ...platform.flink.settings,
  'taskmanager.numberOfTaskSlots': String(platform.flink.taskSlots),
  'parallelism.default': String(platform.flink.parallelism),
  'jobmanager.rpc.port': String(platform.ports.jobManagerRpc),
  'rest.port': String(platform.ports.flinkRest),
  'blob.server.port': String(platform.ports.blobServer),
};

/**
 * The one deliberate difference: the native stack runs the same Prometheus reporter through a
 * loopback-bound factory (local/jars/reporter), because its processes share the developer's host.
 */
const nativeReporterFactory = /^org\.apache\.flink\.metrics\.prometheus\.\w*PrometheusReporterFactory$/;

describe('generated files', () => {
  it('are exactly what npm run render:manifests renders from infra/platform.json and infra/sql', () => {
    const rendered = renderManifests();
    expect(outdatedManifests(repoRoot, rendered)).toEqual([]);
    expect([...rendered.keys()]).toEqual(
      expect.arrayContaining([composeFiles.demo, composeFiles.e2e, `${minikubeDir}/kustomization.yaml`]),
    );
  });
});

describe('Flink settings agree in native, compose, minikube and ECS', () => {
  const environments: Record<string, () => Settings> = {
    native: nativeSettings,
    'compose jobmanager': () => composeSettings('flink-jobmanager'),
    'compose taskmanager': () => composeSettings('flink-taskmanager'),
    'compose sql-gateway': () => composeSettings('sql-gateway'),
    'compose e2e jobmanager': () => composeSettings('flink-jobmanager', composeFiles.e2e),
    minikube: minikubeSettings,
    ecs: ecsSettings,
  };

  for (const [environment, settingsOf] of Object.entries(environments)) {
    it(`${environment}: checkpointing, state backend, restart strategy, slots, parallelism, ports and reporter`, () => {
      const settings = settingsOf();
      for (const [key, value] of Object.entries(sharedSettings)) {
        if (environment === 'native' && key === 'metrics.reporter.prom.factory.class') {
          expect(settings[key], `${environment}: ${key}`).toMatch(nativeReporterFactory);
          continue;
        }
        expect(settings[key], `${environment}: ${key}`).toBe(value);
      }
      expect(
        settings['metrics.reporter.prom.port'] ?? prometheusDefaultPort,
        `${environment}: reporter port`,
      ).toBe(String(platform.ports.prometheusJobManager));
    });
  }

  it('stores checkpoints as the seed describes: mounted demo-data in compose, the MinIO bucket natively and in minikube, S3 in ECS', () => {
    const checkpoints = 'execution.checkpointing.dir';
    expect(nativeSettings()[checkpoints]).toBe(`s3://${platform.storage.checkpointBucket}/checkpoints`);
    const compose = composeFile(composeFiles.demo).services['flink-jobmanager']!;
    const mount = (compose.volumes as string[]).find((volume) => volume.startsWith('./demo-data/flink:'));
    expect(mount, 'compose mounts local/compose/demo-data/flink').toBeDefined();
    expect(composeSettings('flink-jobmanager')[checkpoints]).toBe(
      `file://${mount!.split(':')[1]}/checkpoints`,
    );
    expect(minikubeSettings()[checkpoints]).toBe(`s3://${platform.storage.checkpointBucket}/checkpoints`);
    expect(minikubeSettings()['s3.path.style.access']).toBe('true');
    expect(minikubeSettings()['s3.endpoint']).toBe('http://apphub-minio:9000');
    expect(ecsSettings()[checkpoints]).toBe(`s3://${platform.storage.checkpointBucket}/checkpoints`);
  });

  it('gives native Flink the same S3 snapshot settings as ECS, endpoint, path style and local keys aside', () => {
    const snapshotKeys = (settings: Settings) =>
      Object.fromEntries(
        Object.entries(settings).filter(
          ([key]) =>
            key.startsWith('s3.') || key.startsWith('presto.') || key.startsWith('execution.checkpointing.'),
        ),
      );
    const native = snapshotKeys(nativeSettings());
    const ecs = snapshotKeys(ecsSettings());
    const localOnly = ['s3.endpoint', 's3.path.style.access', 's3.access-key', 's3.secret-key'];
    expect(
      Object.keys(native)
        .filter((key) => localOnly.includes(key))
        .sort(),
    ).toEqual([...localOnly].sort());
    expect(native['s3.endpoint']).toBe(`http://127.0.0.1:${platform.ports.minio}`);
    // ECS sets no S3 key: the presto file system then takes the task role through the default provider chain.
    expect(Object.keys(ecs).filter((key) => key.startsWith('s3.') || key.startsWith('presto.'))).toEqual([]);
    for (const key of localOnly) delete native[key];
    expect(native).toEqual(ecs);
  });

  it('lets compose override the checkpoint interval like the native stack, defaulting to the platform value', () => {
    const raw = composeFile(composeFiles.demo).services['flink-jobmanager']!.environment
      .FLINK_PROPERTIES as string;
    expect(raw).toContain(
      `execution.checkpointing.interval: \${APPHUB_FLINK_CHECKPOINT_INTERVAL:-${platform.flink.settings['execution.checkpointing.interval']}}`,
    );
    expect(
      nativeFlinkSettings(
        stackPaths(tmpdir()),
        parseLocalEndpoints({ APPHUB_FLINK_CHECKPOINT_INTERVAL: '30 s' }),
      ),
    ).toMatchObject({
      'execution.checkpointing.interval': '30 s',
    });
  });
});

describe('versions', () => {
  const dockerfile = read(`${flinkImageDir}/Dockerfile`);
  const argDefault = (name: string) => dockerfile.match(new RegExp(`^ARG ${name}=(\\S+)$`, 'm'))?.[1];

  it('the Flink image defaults to the platform Flink, Java and connector versions', () => {
    expect(argDefault('FLINK_VERSION')).toBe(platform.versions.flink);
    expect(argDefault('JAVA_VERSION')).toBe(platform.versions.java);
    expect(argDefault('KAFKA_CONNECTOR_VERSION')).toBe(platform.versions.flinkKafkaConnector);
    expect(dockerfile).toMatch(/^FROM flink:\$\{FLINK_VERSION\}-java\$\{JAVA_VERSION\} AS flink-base$/m);
    // The format is compiled with the same Java as the image runs, against the image's own lib/.
    expect(dockerfile).toMatch(/^FROM eclipse-temurin:\$\{JAVA_VERSION\}-jdk-jammy AS flink-format$/m);
    expect(dockerfile).toMatch(/^FROM flink-base$/m);
  });

  it('the image enables the S3 filesystem plugin the s3:// checkpoints need and the Prometheus reporter plugin', () => {
    expect(dockerfile).toContain(`cp "opt/flink-s3-fs-presto-\${FLINK_VERSION}.jar" plugins/s3-fs-presto/`);
    expect(dockerfile).toContain(`reporter="flink-metrics-prometheus-\${FLINK_VERSION}.jar"`);
    expect(dockerfile).toMatch(/plugins\/metrics-prometheus\/\$\{reporter\}/);
    expect(minikubeSettings()['execution.checkpointing.dir']).toMatch(/^s3:\/\//);
    expect(composeSettings('flink-jobmanager')['execution.checkpointing.savepoint-dir']).toMatch(/^s3:\/\//);
  });

  it('compose builds and minikube runs the image tagged with those versions', () => {
    const tag = `apphub-streaming/flink:${platform.versions.flink}-kafka-${platform.versions.flinkKafkaConnector}`;
    for (const file of [composeFiles.demo, composeFiles.e2e]) {
      for (const service of ['flink-jobmanager', 'flink-taskmanager', 'sql-gateway']) {
        const definition = composeFile(file).services[service]!;
        expect(definition.image, `${file} ${service}`).toBe(tag);
        expect(definition.build.args).toEqual({
          FLINK_VERSION: platform.versions.flink,
          JAVA_VERSION: platform.versions.java,
          KAFKA_CONNECTOR_VERSION: platform.versions.flinkKafkaConnector,
        });
      }
    }
    const flinkContainers = minikubeObjects()
      .filter(
        (object) =>
          object.kind === 'Deployment' && object.metadata.labels['app.kubernetes.io/name'] === 'apphub-flink',
      )
      .flatMap((object) => [
        ...object.spec.template.spec.containers,
        ...object.spec.template.spec.initContainers,
      ]);
    expect(flinkContainers.length).toBeGreaterThanOrEqual(6);
    for (const container of flinkContainers) expect(container.image).toBe(tag);
  });

  it('the native stack resolves the connector and Flink from the platform versions, not from its own pins', () => {
    const pom = read('local/jars/flink/pom.xml');
    expect(pom).toContain(
      `<artifactId>flink-sql-connector-kafka</artifactId><version>\${flink.kafka.connector.version}</version>`,
    );
    expect(pom).not.toContain(platform.versions.flinkKafkaConnector);
  });

  const connectorJar = `flink-sql-connector-kafka-${platform.versions.flinkKafkaConnector}.jar`;
  const resolvedJar = [
    path.join(repoRoot, '.cache', 'jars', 'flink', connectorJar),
    path.join(
      homedir(),
      '.m2',
      'repository',
      'org',
      'apache',
      'flink',
      'flink-sql-connector-kafka',
      platform.versions.flinkKafkaConnector,
      connectorJar,
    ),
  ].find((file) => existsSync(file));
  it(`the image's pinned connector checksum is the jar the native stack runs (${connectorJar})`, () => {
    // npm test resolves the jars first (npm run setup); a missing jar is a failure, not a skip.
    expect(resolvedJar, `${connectorJar} is not resolved: run npm run setup`).toBeDefined();
    const sha256 = createHash('sha256').update(readFileSync(resolvedJar!)).digest('hex');
    expect(argDefault('KAFKA_CONNECTOR_SHA256')).toBe(sha256);
  });

  it('no container image is unpinned', () => {
    const images = [
      ...[composeFiles.demo, composeFiles.e2e].flatMap((file) =>
        Object.values(composeFile(file).services).map((service) => service.image as string),
      ),
      ...Array.from(JSON.stringify(minikubeObjects()).matchAll(/"image":"([^"]+)"/g), (match) => match[1]!),
    ];
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) expect(image, image).toMatch(/:[^:/]*\d[^:/]*$/);
    for (const image of images) expect(image).not.toMatch(/:latest$/);
    expect(images).toContain(`docker.redpanda.com/redpandadata/redpanda:${platform.versions.redpanda}`);
    expect(images).toContain(`quay.io/minio/minio:${platform.versions.minio}`);
    expect(images).toContain(`quay.io/minio/mc:${platform.versions.minioClient}`);
    expect(images).toContain(`motoserver/moto:${platform.versions.moto}`);
  });
});

describe('topics and the sample SQL', () => {
  it('compose and minikube create both topics with the platform partitions and retention', () => {
    const composeScript = (
      composeFile(composeFiles.demo).services['redpanda-init']!.command as string[]
    ).join('\n');
    const topicJob = minikubeObjects().find(
      (object) => object.kind === 'Job' && object.metadata.name === 'apphub-redpanda-topics',
    );
    const minikubeScript = (topicJob!.spec.template.spec.containers[0].command as string[]).join('\n');
    for (const script of [composeScript, minikubeScript]) {
      for (const topic of Object.values(platform.topics)) {
        expect(script).toContain(
          `rpk topic create ${topic.name} --partitions ${topic.partitions} --replicas 1 --topic-config retention.ms=${topic.retentionMs}`,
        );
        expect(script).toContain(
          `rpk topic alter-config ${topic.name} --set retention.ms=${topic.retentionMs}`,
        );
      }
    }
  });

  const template = platform.sampleJob.sqlTemplate;
  it(`the image copies ${template} from infra/sql and the E2E stack mounts it`, () => {
    // A tracked file that went missing fails the test; it is never a reason to skip it.
    expect(existsSync(path.join(repoRoot, template)), `${template} is missing`).toBe(true);
    expect(template.startsWith(`${sqlDir}/`)).toBe(true);
    // The image is built from infra/ and copies infra/sql itself: no second copy to drift.
    expect(read(`${flinkImageDir}/Dockerfile`)).toMatch(
      /^COPY --chown=flink:flink sql\/ \/opt\/flink\/sql\/$/m,
    );
    for (const service of ['flink-jobmanager', 'flink-taskmanager', 'sql-gateway']) {
      const volumes = composeFile(composeFiles.e2e).services[service]!.volumes as string[];
      expect(
        volumes.some(
          (volume) => volume.endsWith(`:${e2eRepoMount}:ro`) && volume.startsWith('${APPHUB_E2E_REPO_ROOT'),
        ),
      ).toBe(true);
    }
  });
});

// ECS: test/cdk/msk-deployment.test.ts synthesizes the stacks and reads each task definition's
// FLINK_PROPERTIES with parseFlinkProperties, the way the image's entrypoint does.
