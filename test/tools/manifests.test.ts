import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  composeEnvFile,
  composeFiles,
  kubernetesHaSettings,
  ManifestInvalidError,
  minikubeDir,
  parseFlinkProperties,
  streamingNoticeService,
} from '../../local/src/manifests/index.js';
import { repoRoot } from '../../local/src/stack/paths.js';
import { streamingDisabledMessage } from '../../local/src/stack/streaming-flag.js';

/** Parsed YAML: its shape is what the assertions check. */
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type K8sObject = Record<string, any>;

const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-manifests-'));
/** Any attempt to reach the network from a validator fails fast on a closed loopback port. */
const offline = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '',
  no_proxy: '',
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...offline, ...env },
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    error: result.error,
  };
}

describe('minikube overlay (kubectl kustomize + kubernetes-validate, offline)', () => {
  const kustomized = run('kubectl', ['kustomize', minikubeDir]);
  const objects: K8sObject[] = parseAllDocuments(kustomized.stdout).map((document) => document.toJS());
  const validator = path.join(repoRoot, '.cache', 'venv', 'bin', 'kubernetes-validate');
  const python = path.join(repoRoot, '.cache', 'venv', 'bin', 'python');

  /** Newest Kubernetes version whose schemas the installed kubernetes-validate ships. */
  function schemaVersion(): string {
    const result = run(python, ['-c', 'import kubernetes_validate.utils as u; print(u.latest_version())']);
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.trim();
  }

  /** Validates YAML documents strictly against the bundled schemas; a missing schema (WARN) counts as a failure. */
  function validate(yamlText: string, name: string): { ok: boolean; output: string } {
    const file = path.join(scratch, name);
    writeFileSync(file, yamlText);
    const result = run(validator, ['--strict', '--kubernetes-version', schemaVersion(), file]);
    const output = `${result.stdout}${result.stderr}`;
    return { ok: result.status === 0 && !/^(WARN|ERROR|FATAL)/m.test(output), output };
  }

  it('renders with kubectl kustomize', () => {
    expect(kustomized.status, kustomized.stderr).toBe(0);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Namespace/apphub-system',
        'ConfigMap/apphub-flink-config',
        'Deployment/apphub-flink-jobmanager',
        'Deployment/apphub-flink-taskmanager',
        'Deployment/apphub-flink-sql-gateway',
        'Service/apphub-flink-jobmanager',
        'Service/apphub-flink-sql-gateway',
        'StatefulSet/apphub-redpanda',
        'Service/apphub-redpanda',
        'Job/apphub-redpanda-topics',
        'Deployment/apphub-minio',
        'Service/apphub-minio',
        'PersistentVolumeClaim/apphub-minio-data',
        'Job/apphub-minio-bootstrap',
        'Secret/apphub-minio-credentials',
        'ServiceAccount/apphub-flink-ha-leader',
        'Role/apphub-flink-ha-leader',
        'RoleBinding/apphub-flink-ha-leader',
        'ServiceAccount/apphub-flink-ha-follower',
        'Role/apphub-flink-ha-follower',
        'RoleBinding/apphub-flink-ha-follower',
      ]),
    );
  });

  it('validates every rendered object against the Kubernetes schemas, offline and strict', () => {
    expect(
      existsSync(validator),
      `${validator} missing: create .cache/venv with kubernetes-validate==${platform.versions.kubernetesValidate}`,
    ).toBe(true);
    const { ok, output } = validate(kustomized.stdout, 'overlay.yaml');
    expect(ok, output).toBe(true);
    expect(output.match(/passed for resource/g)?.length).toBe(objects.length);
  });

  it('rejects an object that breaks the schema and a kind it has no schema for (the check can fail)', () => {
    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: 'two' } };
    expect(validate(JSON.stringify(broken), 'broken.yaml').ok).toBe(false);
    expect(
      validate('apiVersion: example.com/v1\nkind: Unknown\nmetadata: {name: x}\n', 'unknown.yaml').ok,
    ).toBe(false);
  });

  it('puts everything in apphub-system, labelled part-of=apphub-streaming, pods included', () => {
    for (const object of objects) {
      expect(
        object.metadata.labels?.['app.kubernetes.io/part-of'],
        `${object.kind}/${object.metadata.name}`,
      ).toBe('apphub-streaming');
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('apphub-system');
      const podLabels = object.spec?.template?.metadata?.labels;
      if (object.spec?.template) expect(podLabels['app.kubernetes.io/part-of']).toBe('apphub-streaming');
    }
  });

  it('selects JobManager and TaskManager pods by component exactly as the seed does, with 1 and 2 replicas', () => {
    const byComponent = (component: string) =>
      objects.filter(
        (object) => object.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === component,
      );
    expect(byComponent('jobmanager').map((object) => [object.metadata.name, object.spec.replicas])).toEqual([
      ['apphub-flink-jobmanager', 1],
    ]);
    expect(byComponent('taskmanager').map((object) => [object.metadata.name, object.spec.replicas])).toEqual([
      ['apphub-flink-taskmanager', platform.flink.taskManagers],
    ]);
    const service = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === 'apphub-flink-jobmanager',
    )!;
    expect(service.spec.selector['app.kubernetes.io/component']).toBe('jobmanager');
    expect(service.spec.ports.map((port: K8sObject) => port.port)).toContain(platform.ports.flinkRest);
    const redpanda = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === 'apphub-redpanda',
    )!;
    expect(redpanda.spec.ports.map((port: K8sObject) => port.port)).toContain(platform.ports.kafka);
  });

  it('gives every container requests and limits, and every long-running one liveness and readiness probes', () => {
    for (const object of objects.filter((candidate) => candidate.spec?.template)) {
      const pod = object.spec.template.spec;
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const where = `${object.kind}/${object.metadata.name} ${container.name}`;
        for (const kind of ['requests', 'limits']) {
          expect(container.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toBeDefined();
          expect(container.resources?.[kind]?.memory, `${where} ${kind}.memory`).toBeDefined();
        }
      }
      if (object.kind === 'Job') continue;
      for (const container of pod.containers) {
        expect(container.livenessProbe, `${object.metadata.name} liveness`).toBeDefined();
        expect(container.readinessProbe, `${object.metadata.name} readiness`).toBeDefined();
      }
    }
  });

  it('annotates Flink pods for Prometheus on the reporter port the config sets', () => {
    const config = parse(
      objects.find((object) => object.metadata.name === 'apphub-flink-config')!.data['config.yaml'],
    );
    const flinkPods = objects.filter(
      (object) =>
        object.kind === 'Deployment' && object.metadata.labels['app.kubernetes.io/name'] === 'apphub-flink',
    );
    expect(flinkPods).toHaveLength(3);
    for (const deployment of flinkPods) {
      const annotations = deployment.spec.template.metadata.annotations;
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/port']).toBe(String(config['metrics.reporter.prom.port']));
      const ports = deployment.spec.template.spec.containers[0].ports.map(
        (port: K8sObject) => port.containerPort,
      );
      expect(ports).toContain(platform.ports.prometheusJobManager);
    }
  });

  it('checkpoints to the MinIO bucket its bootstrap Job creates, with credentials from the Secret', () => {
    const config = parse(
      objects.find((object) => object.metadata.name === 'apphub-flink-config')!.data['config.yaml'],
    );
    expect(config['execution.checkpointing.dir']).toBe(
      `s3://${platform.storage.checkpointBucket}/checkpoints`,
    );
    const minioService = objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === 'apphub-minio',
    )!;
    expect(config['s3.endpoint']).toBe(`http://apphub-minio:${minioService.spec.ports[0].port}`);
    const bootstrap = objects.find((object) => object.metadata.name === 'apphub-minio-bootstrap')!;
    expect(bootstrap.spec.template.spec.containers[0].command.join(' ')).toContain(
      `mc mb --ignore-existing apphub/${platform.storage.checkpointBucket}`,
    );
    const secret = objects.find((object) => object.kind === 'Secret')!;
    const referenced: [string, string][] = [];
    JSON.stringify(objects, (key, value) => {
      if (key === 'secretKeyRef') referenced.push([value.name, value.key]);
      return value;
    });
    expect(referenced.length).toBeGreaterThan(0);
    for (const [name, key] of referenced) {
      expect(name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(key);
    }
    const flinkEnv = objects.find(
      (object) => object.metadata.name === 'apphub-flink-jobmanager' && object.kind === 'Deployment',
    )!.spec.template.spec.containers[0].env;
    const properties = flinkEnv.find((variable: K8sObject) => variable.name === 'FLINK_PROPERTIES').value;
    expect(parseFlinkProperties(properties)).toEqual({
      's3.access-key': '$(AWS_ACCESS_KEY_ID)',
      's3.secret-key': '$(AWS_SECRET_ACCESS_KEY)',
    });
  });

  describe('Flink Kubernetes HA', () => {
    const find = (kind: string, name: string) =>
      objects.find((object) => object.kind === kind && object.metadata.name === name)!;
    const flinkConfig = () => parse(find('ConfigMap', 'apphub-flink-config').data['config.yaml']);
    const flinkDeployments = () =>
      objects.filter(
        (object) =>
          object.kind === 'Deployment' && object.metadata.labels['app.kubernetes.io/name'] === 'apphub-flink',
      );
    const podSpec = (name: string) => find('Deployment', name).spec.template.spec;

    /** ConfigMap verbs a ServiceAccount gets through the RoleBindings of the overlay, per API group and resource. */
    function grantsOf(serviceAccount: string): string[] {
      return objects
        .filter(
          (binding) =>
            binding.kind === 'RoleBinding' &&
            binding.subjects.some(
              (subject: K8sObject) =>
                subject.kind === 'ServiceAccount' &&
                subject.name === serviceAccount &&
                subject.namespace === binding.metadata.namespace,
            ),
        )
        .flatMap((binding) => {
          expect(binding.roleRef.kind, binding.metadata.name).toBe('Role');
          return find('Role', binding.roleRef.name).rules.flatMap((rule: K8sObject) =>
            rule.apiGroups.flatMap((group: string) =>
              rule.resources.flatMap((resource: string) =>
                rule.verbs.map((verb: string) => `${group || 'core'}/${resource}:${verb}`),
              ),
            ),
          );
        })
        .sort();
    }
    const configMapGrants = (verbs: string[]) => verbs.map((verb) => `core/configmaps:${verb}`).sort();

    // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/ha/kubernetes_ha/#configuration
    it('enables Kubernetes HA in the namespace the pods run in, with its metadata in the bucket MinIO bootstrap creates', () => {
      const config = flinkConfig();
      expect(config['high-availability.type']).toBe('kubernetes');
      expect(config['kubernetes.namespace']).toBe('apphub-system');
      for (const deployment of flinkDeployments()) {
        expect(deployment.metadata.namespace, deployment.metadata.name).toBe(config['kubernetes.namespace']);
      }
      // Flink names its ConfigMaps <cluster-id>-cluster-config-map and <cluster-id>-<job id>-config-map.
      expect(config['kubernetes.cluster-id']).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(config['high-availability.cluster-id']).toBe(config['kubernetes.cluster-id']);
      const bootstrapScript = find(
        'Job',
        'apphub-minio-bootstrap',
      ).spec.template.spec.containers[0].command.join(' ');
      const buckets = [...bootstrapScript.matchAll(/mc mb --ignore-existing apphub\/(\S+)/g)].map(
        (match) => match[1],
      );
      const storageDir = new URL(config['high-availability.storageDir']);
      expect(storageDir.protocol).toBe('s3:');
      expect(buckets).toContain(storageDir.host);
      expect(storageDir.pathname.length).toBeGreaterThan(1);
    });

    it('grants the JobManager the ConfigMap verbs Flink 2.2 uses (patch included), TaskManagers and the SQL Gateway only reads', () => {
      // flink-kubernetes 2.2 elects leaders with fabric8's ConfigMapLock (no Lease objects), which
      // renews with a JSON merge PATCH; RBAC maps PATCH to the verb "patch", not "update":
      // https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
      const reads = ['get', 'list', 'watch'];
      expect(grantsOf(podSpec('apphub-flink-jobmanager').serviceAccountName)).toEqual(
        configMapGrants([...reads, 'create', 'update', 'patch', 'delete']),
      );
      for (const follower of ['apphub-flink-taskmanager', 'apphub-flink-sql-gateway']) {
        expect(grantsOf(podSpec(follower).serviceAccountName), follower).toEqual(configMapGrants(reads));
      }
      for (const binding of objects.filter((object) => object.kind === 'RoleBinding')) {
        for (const subject of binding.subjects) {
          expect(
            find('ServiceAccount', subject.name),
            `${binding.metadata.name} binds ${subject.name}`,
          ).toBeDefined();
        }
      }
    });

    it('runs every Flink pod, and only Flink pods, under a ServiceAccount of the overlay', () => {
      const flinkAccounts = new Set(
        objects.filter((object) => object.kind === 'ServiceAccount').map((account) => account.metadata.name),
      );
      expect(flinkDeployments()).toHaveLength(3);
      for (const deployment of flinkDeployments()) {
        const pod = deployment.spec.template.spec;
        expect(flinkAccounts, deployment.metadata.name).toContain(pod.serviceAccountName);
        expect(pod.automountServiceAccountToken, deployment.metadata.name).not.toBe(false);
      }
      for (const other of objects.filter(
        (object) =>
          object.spec?.template && object.metadata.labels['app.kubernetes.io/name'] !== 'apphub-flink',
      )) {
        expect(other.spec.template.spec.serviceAccountName, other.metadata.name).toBeUndefined();
      }
    });

    // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/resource-providers/standalone/kubernetes/#kubernetes-high-availability-services
    it("advertises the JobManager's pod IP as its RPC address, as jobmanager.rpc.address and --host", () => {
      const jobManager = podSpec('apphub-flink-jobmanager').containers[0];
      const podIp = jobManager.env.find((variable: K8sObject) => variable.valueFrom?.fieldRef);
      expect(podIp.valueFrom.fieldRef.fieldPath).toBe('status.podIP');
      const reference = `$(${podIp.name})`;
      expect(
        jobManager.env.find((variable: K8sObject) => variable.name === 'JOB_MANAGER_RPC_ADDRESS').value,
      ).toBe(reference);
      // The image's entrypoint passes `jobmanager <host>` on to jobmanager.sh, which turns it into --host.
      expect(jobManager.args).toEqual(['jobmanager', reference]);
    });

    it('leaves the JobManager Service no RPC or blob port, so TaskManagers can only find the leader through HA', () => {
      const config = flinkConfig();
      const service = find('Service', 'apphub-flink-jobmanager');
      const ports = service.spec.ports.map((port: K8sObject) => port.port);
      expect(ports).not.toContain(Number(config['jobmanager.rpc.port']));
      expect(ports).not.toContain(Number(config['blob.server.port']));
      // The SQL Gateway and REST clients still use the Service: the leader publishes rest.address.
      expect(config['rest.address']).toBe(service.metadata.name);
      expect(ports).toContain(Number(config['rest.port']));
    });

    it('refuses a cluster id that cannot prefix ConfigMap names (Flink itself would accept "_")', () => {
      expect(() => kubernetesHaSettings({ clusterId: 'apphub_flink', namespace: 'apphub-system' })).toThrow(
        ManifestInvalidError,
      );
      expect(() => kubernetesHaSettings({ clusterId: 'Apphub-flink', namespace: 'apphub-system' })).toThrow(
        /cannot prefix ConfigMap names/,
      );
    });

    it('defines every $(VARIABLE) a Flink container uses before it, so Kubernetes expands it', () => {
      // https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
      const references = (text: string) =>
        [...text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((match) => match[1]);
      for (const deployment of flinkDeployments()) {
        for (const container of deployment.spec.template.spec.containers) {
          const defined: string[] = [];
          for (const variable of container.env) {
            for (const name of references(variable.value ?? '')) {
              expect(defined, `${container.name}: ${variable.name} uses $(${name})`).toContain(name);
            }
            defined.push(variable.name);
          }
          for (const name of references(JSON.stringify([container.command ?? [], container.args ?? []]))) {
            expect(defined, `${container.name} args use $(${name})`).toContain(name);
          }
        }
      }
    });
  });
});

describe('Flink 2.2 reads the container configuration as the platform settings', () => {
  const jars = path.join(repoRoot, '.cache', 'jars', 'flink');
  const runtimeJar = path.join(jars, `flink-runtime-${platform.versions.flink}.jar`);
  const jarsMissing = !existsSync(runtimeJar);
  const classpath = jarsMissing
    ? ''
    : readdirSync(jars)
        .filter((file) => file.endsWith('.jar'))
        .map((file) => path.join(jars, file))
        .join(':');

  /**
   * Loads each conf dir with Flink's GlobalConfiguration; prints every key, the interval as Flink
   * types it, and the HA mode and storage path as the runtime resolves them.
   */
  const reader = `import org.apache.flink.configuration.*;
import org.apache.flink.runtime.highavailability.HighAvailabilityServicesUtils;
import org.apache.flink.runtime.jobmanager.HighAvailabilityMode;
public class ReadFlinkConfig {
  public static void main(String[] dirs) throws Exception {
    java.lang.reflect.Method rpcPortRange =
        org.apache.flink.runtime.entrypoint.ClusterEntrypoint.class.getDeclaredMethod("getRPCPortRange", Configuration.class);
    rpcPortRange.setAccessible(true);
    for (String dir : dirs) {
      Configuration config = GlobalConfiguration.loadConfiguration(dir);
      System.out.println("@" + dir);
      System.out.println("typed.interval.ms=" + config.get(CheckpointingOptions.CHECKPOINTING_INTERVAL).toMillis());
      System.out.println("typed.ha.mode=" + HighAvailabilityMode.fromConfig(config));
      if (HighAvailabilityMode.isHighAvailabilityModeActivated(config))
        System.out.println("typed.ha.storage=" + HighAvailabilityServicesUtils.getClusterHighAvailableStoragePath(config));
      Object entrypoint = new org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint(config);
      System.out.println("typed.jobmanager.rpc.ports=" + rpcPortRange.invoke(entrypoint, config));
      config.toMap().forEach((key, value) -> System.out.println(key + "=" + value));
    }
  }
}
`;

  function readFlinkConfigs(dirs: string[]): Record<string, Record<string, string>> {
    const source = path.join(scratch, 'ReadFlinkConfig.java');
    writeFileSync(source, reader);
    const result = run('java', ['-cp', classpath, source, ...dirs]);
    expect(result.status, result.stderr).toBe(0);
    const configs: Record<string, Record<string, string>> = {};
    let current: Record<string, string> = {};
    for (const line of result.stdout.split('\n')) {
      if (line.startsWith('@')) configs[line.slice(1)] = current = {};
      else if (line.includes('='))
        current[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
    return configs;
  }

  /** What the image's entrypoint does with FLINK_PROPERTIES: each line becomes a -D for Flink's config parser. */
  function applyFlinkProperties(confDir: string, flinkProperties: string): void {
    const dynamic = Object.entries(parseFlinkProperties(flinkProperties)).flatMap(([key, value]) => [
      '-D',
      `${key}=${value}`,
    ]);
    const result = run('java', [
      '-cp',
      classpath,
      'org.apache.flink.runtime.util.bash.BashJavaUtils',
      'UPDATE_AND_GET_FLINK_CONFIGURATION',
      '--configDir',
      confDir,
      ...dynamic,
    ]);
    expect(result.status, result.stderr).toBe(0);
    const prefix = 'BASH_JAVA_UTILS_EXEC_RESULT:';
    const lines = result.stdout
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.slice(prefix.length));
    writeFileSync(path.join(confDir, 'config.yaml'), `${lines.join('\n')}\n`);
  }

  it(`compose FLINK_PROPERTIES through the entrypoint's parser, and the minikube config.yaml (with ${path.basename(runtimeJar)})`, () => {
    expect(jarsMissing, `${runtimeJar} is not resolved: run npm run setup`).toBe(false);
    const composeConf = mkdtempSync(path.join(scratch, 'compose-conf-'));
    writeFileSync(path.join(composeConf, 'config.yaml'), 'jobmanager.rpc.address: localhost\n');
    const properties = (parse(readFileSync(path.join(repoRoot, composeFiles.demo), 'utf8')) as K8sObject)
      .services['flink-jobmanager'].environment.FLINK_PROPERTIES as string;
    applyFlinkProperties(composeConf, properties.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1'));
    const minikubeConf = mkdtempSync(path.join(scratch, 'minikube-conf-'));
    const configMap = parseAllDocuments(
      readFileSync(path.join(repoRoot, minikubeDir, 'flink-config.yaml'), 'utf8'),
    )[0]!.toJS();
    writeFileSync(path.join(minikubeConf, 'config.yaml'), configMap.data['config.yaml']);
    const configs = readFlinkConfigs([composeConf, minikubeConf]);
    for (const dir of [composeConf, minikubeConf]) {
      const config = configs[dir]!;
      for (const [key, value] of Object.entries(platform.flink.settings))
        expect(config[key], `${dir}: ${key}`).toBe(value);
      expect(config['typed.interval.ms']).toBe('60000');
      expect(config['taskmanager.numberOfTaskSlots']).toBe(String(platform.flink.taskSlots));
    }
    expect(configs[minikubeConf]!['s3.path.style.access']).toBe('true');
    expect(configs[composeConf]!['typed.ha.mode']).toBe('NONE');
    expect(configs[minikubeConf]!['typed.ha.mode']).toBe('KUBERNETES');
    expect(configs[minikubeConf]!['typed.ha.storage']).toBe(
      `s3://${platform.storage.checkpointBucket}/ha/${configs[minikubeConf]!['kubernetes.cluster-id']}`,
    );
    // Only ZooKeeper HA moves the JobManager to high-availability.jobmanager.port (default: random);
    // under Kubernetes HA it keeps the port its Deployment declares and probes.
    const jobManager = parseAllDocuments(
      readFileSync(path.join(repoRoot, minikubeDir, 'flink-jobmanager.yaml'), 'utf8'),
    )[0]!.toJS().spec.template.spec.containers[0];
    expect(configs[minikubeConf]!['typed.jobmanager.rpc.ports']).toBe(
      String(jobManager.ports.find((port: K8sObject) => port.name === 'rpc').containerPort),
    );
    expect(jobManager.livenessProbe.tcpSocket.port).toBe('rpc');
  });

  it('would reject a quoted value in FLINK_PROPERTIES (why the generator writes values bare)', () => {
    expect(jarsMissing, `${runtimeJar} is not resolved: run npm run setup`).toBe(false);
    const conf = mkdtempSync(path.join(scratch, 'quoted-conf-'));
    writeFileSync(path.join(conf, 'config.yaml'), 'jobmanager.rpc.address: localhost\n');
    applyFlinkProperties(conf, 'execution.checkpointing.interval: "1 min"\n');
    const source = path.join(scratch, 'ReadFlinkConfig.java');
    writeFileSync(source, reader);
    const result = run('java', ['-cp', classpath, source, conf]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Could not parse value');
  });
});

const compose = run('docker-compose', ['version']);
const composeMissing = compose.error !== undefined || compose.status !== 0;
const skipReason = composeMissing
  ? ' (SKIPPED: docker-compose is not installed; apt-get install -y docker-compose)'
  : '';

describe(`compose files validated by docker-compose v1${skipReason}`, () => {
  const composeDir = path.join(repoRoot, 'local', 'compose');
  const config = (file: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) =>
    run('docker-compose', ['-f', path.basename(file), 'config', ...extra], env, composeDir);

  it.skipIf(composeMissing)('accepts the demo stack and the E2E stack', () => {
    const demo = config(composeFiles.demo, {}, ['-q']);
    expect(demo.status, demo.stderr).toBe(0);
    const e2e = config(composeFiles.e2e, { APPHUB_E2E_REPO_ROOT: repoRoot }, ['-q']);
    expect(e2e.status, e2e.stderr).toBe(0);
  });

  it.skipIf(composeMissing)(
    'refuses the E2E stack without APPHUB_E2E_REPO_ROOT, and a malformed file (the check can fail)',
    () => {
      const e2e = config(composeFiles.e2e, {}, ['-q']);
      expect(e2e.status).not.toBe(0);
      expect(e2e.stderr).toContain('set APPHUB_E2E_REPO_ROOT to the repository root');
      writeFileSync(
        path.join(scratch, 'broken.compose.yml'),
        'services:\n  x:\n    image: busybox:1.36\n    restart: no\n',
      );
      expect(
        run('docker-compose', ['-f', 'broken.compose.yml', 'config', '-q'], {}, scratch).status,
      ).not.toBe(0);
    },
  );

  it.skipIf(composeMissing)(
    'substitutes the UI port and checkpoint interval, defaulting to the platform values',
    () => {
      const jobManager = (env: NodeJS.ProcessEnv) => {
        const result = config(composeFiles.demo, env);
        expect(result.status, result.stderr).toBe(0);
        return parse(result.stdout).services['flink-jobmanager'];
      };
      const defaults = jobManager({});
      expect(
        parseFlinkProperties(defaults.environment.FLINK_PROPERTIES)['execution.checkpointing.interval'],
      ).toBe(platform.flink.settings['execution.checkpointing.interval']);
      expect(JSON.stringify(defaults.ports)).toContain(`"published":${platform.ports.flinkRest}`);
      const tuned = jobManager({ APPHUB_FLINK_UI_PORT: '18081', APPHUB_FLINK_CHECKPOINT_INTERVAL: '30 s' });
      expect(
        parseFlinkProperties(tuned.environment.FLINK_PROPERTIES)['execution.checkpointing.interval'],
      ).toBe('30 s');
      expect(JSON.stringify(tuned.ports)).toMatch(/"published":"?18081"?/);
    },
  );
});

describe(`APPHUB_STREAMING_ENABLED in compose, resolved by docker-compose v1${skipReason}`, () => {
  /** COMPOSE_PROFILES of the committed local/compose/.env, which compose reads from the project directory. */
  const enabledProfiles = new Set(
    /^COMPOSE_PROFILES=(.*)$/m
      .exec(readFileSync(path.join(repoRoot, composeEnvFile), 'utf8'))?.[1]
      ?.split(',') ?? [],
  );

  /**
   * The services `docker compose up` starts with no service named: those without profiles, and those
   * with an enabled profile (https://docs.docker.com/compose/how-tos/profiles/). docker-compose v1's
   * `config --services` lists every service whatever its profile, so the rule is applied to what
   * `config` resolved; run from the repository root, as the runbook does, to prove the interpolation.
   */
  function startedServices(file: string, flag: string | undefined): string[] {
    const env = {
      APPHUB_E2E_REPO_ROOT: repoRoot,
      ...(flag === undefined ? {} : { APPHUB_STREAMING_ENABLED: flag }),
    };
    const result = run('docker-compose', ['-f', file, 'config'], env);
    expect(result.status, result.stderr).toBe(0);
    const services = parse(result.stdout).services as Record<string, { profiles?: string[] }>;
    return Object.entries(services)
      .filter(([, service]) => !service.profiles || service.profiles.some((p) => enabledProfiles.has(p)))
      .map(([name]) => name)
      .sort();
  }

  for (const file of [composeFiles.demo, composeFiles.e2e]) {
    it.skipIf(composeMissing)(`${file}: unset or 1 starts the stack, 0 only the one-line notice`, () => {
      const stack = Object.keys(parse(readFileSync(path.join(repoRoot, file), 'utf8')).services)
        .filter((name) => name !== streamingNoticeService)
        .sort();
      expect(stack).toEqual(expect.arrayContaining(['redpanda', 'flink-jobmanager', 'minio', 'moto']));
      expect(startedServices(file, undefined)).toEqual(stack);
      expect(startedServices(file, '1')).toEqual(stack);
      expect(startedServices(file, '0')).toEqual([streamingNoticeService]);
    });
  }

  it('the notice prints the one line the native stack prints, and runs once', () => {
    const notice = parse(readFileSync(path.join(repoRoot, composeFiles.demo), 'utf8')).services[
      streamingNoticeService
    ];
    expect(notice.entrypoint).toEqual(['echo']);
    expect(notice.command).toEqual([streamingDisabledMessage('compose')]);
    expect(notice.command[0]).not.toContain('\n');
    expect(notice.restart).toBe('no');
  });
});

describe('compose stack shape', () => {
  const services = (file: string) =>
    (
      parse(spawnSync('cat', [path.join(repoRoot, file)], { encoding: 'utf8' }).stdout) as {
        services: Record<string, K8sObject>;
      }
    ).services;

  for (const file of [composeFiles.demo, composeFiles.e2e]) {
    it(`${file}: the seed's services, a scalable TaskManager, health checks and depends_on conditions`, () => {
      const all = services(file);
      expect(Object.keys(all)).toEqual(
        expect.arrayContaining([
          'redpanda',
          'redpanda-init',
          'flink-jobmanager',
          'flink-taskmanager',
          'sql-gateway',
          'minio',
          'minio-init',
          'moto',
          'moto-init',
          'micro-batcher',
        ]),
      );
      const taskManager = all['flink-taskmanager']!;
      expect(taskManager.container_name).toBeUndefined();
      expect(taskManager.ports).toBeUndefined();
      expect(taskManager.scale).toBe(platform.flink.taskManagers);
      for (const [name, service] of Object.entries(all)) {
        const oneShot = name.endsWith('-init') || name === 'micro-batcher' || name === streamingNoticeService;
        if (!oneShot) expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
        for (const [dependency, condition] of Object.entries(
          (service.depends_on ?? {}) as Record<string, K8sObject>,
        )) {
          expect(all[dependency], `${name} depends on ${dependency}`).toBeDefined();
          expect(condition.condition).toBe(
            dependency.endsWith('-init') ? 'service_completed_successfully' : 'service_healthy',
          );
        }
      }
      expect(all['flink-jobmanager']!.ports).toContain(
        `\${APPHUB_FLINK_UI_PORT:-${platform.ports.flinkRest}}:${platform.ports.flinkRest}`,
      );
      expect(all['micro-batcher']!.command).toEqual(['npm', 'run', 'batcher']);
    });
  }
});
