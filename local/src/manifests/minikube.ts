import { platform, toFlinkYaml } from '@apphub/platform';
import { bucketBootstrapScript, topicBootstrapScript } from './bootstrap-scripts.js';
import { haConfigMapVerbs, kubernetesHaSettings } from './flink-kubernetes-ha.js';
import {
  containerFlinkSettings,
  containerHosts,
  flinkProcessMemory,
  minioPort,
  taskManagerRpcPort,
} from './flink-settings.js';
import { images, minioDemoCredentials } from './images.js';

/** Namespace of the minikube overlay (the seed's kubectl commands use it). */
export const namespace = 'apphub-system';
const partOf = 'apphub-streaming';
const hosts = containerHosts.minikube;
const flinkConfigMap = 'apphub-flink-config';
const minioSecret = 'apphub-minio-credentials';
const externalKafkaPort = 19092;
const redpandaAdminPort = 9644;
const prometheusPort = platform.ports.prometheusJobManager;
/** `kubernetes.cluster-id` of the Flink cluster: the prefix of the HA ConfigMaps Flink creates. */
const flinkClusterId = 'apphub-flink';

type Manifest = Record<string, unknown>;

/** Labels of one workload; `component` is what the seed's `-l app.kubernetes.io/component=...` selects. */
function labels(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': partOf,
  };
}

function selector(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component };
}

function metadata(name: string, workloadLabels: Record<string, string>): Manifest {
  return { name, namespace, labels: workloadLabels };
}

function resources(
  request: { cpu: string; memory: string },
  limit: { cpu: string; memory: string },
): Manifest {
  return { requests: request, limits: limit };
}

/** Flink's `1536m` (mebibytes) as a Kubernetes quantity, so the container limit equals the process size. */
function mebibytes(flinkSize: string): string {
  return `${Number.parseInt(flinkSize, 10)}Mi`;
}

/** A JobManager or TaskManager: up to one core, and exactly its Flink process size as memory. */
function flinkProcessResources(cpuRequest: string, processSize: string): Manifest {
  const memory = mebibytes(processSize);
  return resources({ cpu: cpuRequest, memory }, { cpu: '1', memory });
}

const smallJobResources = resources({ cpu: '50m', memory: '64Mi' }, { cpu: '200m', memory: '128Mi' });

/** Log4j 2 for Flink processes running in the foreground of a container: everything to stdout. */
export const flinkContainerLog4j = `rootLogger.level = INFO
rootLogger.appenderRef.console.ref = ConsoleAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
`;

function secretEnv(name: string, key: string): Manifest {
  return { name, valueFrom: { secretKeyRef: { name: minioSecret, key } } };
}

/** The role a Flink pod plays in Kubernetes HA: its ServiceAccount and the address it advertises. */
interface FlinkHaRole {
  readonly serviceAccountName: string;
  /** Environment that sets JOB_MANAGER_RPC_ADDRESS, which the image's entrypoint writes into config.yaml. */
  readonly addressEnv: readonly Manifest[];
}

const podIpVariable = 'POD_IP';

/**
 * With HA, TaskManagers find the leader through its ConfigMap, so the JobManager must advertise an
 * address that is its own: the pod IP, as `jobmanager.rpc.address` (the entrypoint writes
 * JOB_MANAGER_RPC_ADDRESS there) and as `--host` (jobmanager.sh's host argument).
 * https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/resource-providers/standalone/kubernetes/#kubernetes-high-availability-services
 * Kubernetes expands `$(POD_IP)` because the variable is defined earlier in the list:
 * https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
 */
const haRoles = Object.freeze({
  leader: {
    serviceAccountName: 'apphub-flink-ha-leader',
    addressEnv: [
      { name: podIpVariable, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'JOB_MANAGER_RPC_ADDRESS', value: `$(${podIpVariable})` },
    ],
  },
  // The Service name stays in their config.yaml (as in the ConfigMap) but is not used for RPC under HA.
  follower: {
    serviceAccountName: 'apphub-flink-ha-follower',
    addressEnv: [{ name: 'JOB_MANAGER_RPC_ADDRESS', value: hosts.jobManager }],
  },
} satisfies Record<keyof typeof haConfigMapVerbs, FlinkHaRole>);

/**
 * Pod spec of a Flink process. The ConfigMap is copied into a writable conf directory first,
 * because the image's entrypoint rewrites config.yaml when it applies FLINK_PROPERTIES (here: the
 * MinIO credentials from the Secret, which stay out of the ConfigMap).
 */
function flinkPodSpec(container: Manifest & { name: string }, haRole: FlinkHaRole): Manifest {
  const { name, ...settings } = container;
  return {
    serviceAccountName: haRole.serviceAccountName,
    securityContext: { runAsUser: 9999, runAsGroup: 9999, fsGroup: 9999 },
    initContainers: [
      {
        name: 'copy-flink-config',
        image: images.flink,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', 'cp /opt/flink/conf-template/* /opt/flink/conf/'],
        volumeMounts: [
          { name: 'flink-config-template', mountPath: '/opt/flink/conf-template', readOnly: true },
          { name: 'flink-config', mountPath: '/opt/flink/conf' },
        ],
        resources: smallJobResources,
      },
    ],
    containers: [
      {
        name,
        image: images.flink,
        imagePullPolicy: 'IfNotPresent',
        env: [
          ...haRole.addressEnv,
          secretEnv('AWS_ACCESS_KEY_ID', 'MINIO_ROOT_USER'),
          secretEnv('AWS_SECRET_ACCESS_KEY', 'MINIO_ROOT_PASSWORD'),
          // Kubernetes expands $(NAME) from the variables above; the entrypoint writes these into config.yaml.
          {
            name: 'FLINK_PROPERTIES',
            value: 's3.access-key: $(AWS_ACCESS_KEY_ID)\ns3.secret-key: $(AWS_SECRET_ACCESS_KEY)\n',
          },
        ],
        volumeMounts: [{ name: 'flink-config', mountPath: '/opt/flink/conf' }],
        ...settings,
      },
    ],
    volumes: [
      { name: 'flink-config-template', configMap: { name: flinkConfigMap } },
      { name: 'flink-config', emptyDir: {} },
    ],
  };
}

function prometheusAnnotations(): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(prometheusPort),
    'prometheus.io/path': '/metrics',
  };
}

function deployment(
  name: string,
  workloadLabels: Record<string, string>,
  replicas: number,
  podSpec: Manifest,
  annotations: Record<string, string> = {},
  strategy: Manifest = { type: 'RollingUpdate' },
): Manifest {
  const name_ = workloadLabels['app.kubernetes.io/name']!;
  const component = workloadLabels['app.kubernetes.io/component']!;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(name, workloadLabels),
    spec: {
      replicas,
      strategy,
      selector: { matchLabels: selector(name_, component) },
      template: { metadata: { labels: workloadLabels, annotations }, spec: podSpec },
    },
  };
}

function service(
  name: string,
  workloadLabels: Record<string, string>,
  ports: Manifest[],
  extra: Manifest = {},
): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(name, workloadLabels),
    spec: {
      ...extra,
      selector: selector(
        workloadLabels['app.kubernetes.io/name']!,
        workloadLabels['app.kubernetes.io/component']!,
      ),
      ports,
    },
  };
}

function job(name: string, workloadLabels: Record<string, string>, container: Manifest): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(name, workloadLabels),
    spec: {
      backoffLimit: 20,
      template: {
        metadata: { labels: workloadLabels },
        spec: { restartPolicy: 'OnFailure', containers: [{ resources: smallJobResources, ...container }] },
      },
    },
  };
}

const tcpPort = (name: string, port: number) => ({ name, port, targetPort: port, protocol: 'TCP' });

function flinkManifests(): Record<string, Manifest[]> {
  const jobManagerLabels = labels('apphub-flink', 'jobmanager');
  const taskManagerLabels = labels('apphub-flink', 'taskmanager');
  const gatewayLabels = labels('apphub-flink', 'sql-gateway');
  const metricsPort = { name: 'metrics', containerPort: prometheusPort };
  const configMap: Manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(flinkConfigMap, labels('apphub-flink', 'config')),
    data: {
      'config.yaml': toFlinkYaml({
        ...containerFlinkSettings('minikube'),
        ...kubernetesHaSettings({ clusterId: flinkClusterId, namespace }),
      }),
      'log4j-console.properties': flinkContainerLog4j,
    },
  };
  const jobManager = deployment(
    hosts.jobManager,
    jobManagerLabels,
    1,
    flinkPodSpec(
      {
        name: 'jobmanager',
        // `jobmanager <host>` becomes `--host <host>`, which overrides jobmanager.rpc.address.
        args: ['jobmanager', `$(${podIpVariable})`],
        ports: [
          { name: 'rest', containerPort: platform.ports.flinkRest },
          { name: 'rpc', containerPort: platform.ports.jobManagerRpc },
          { name: 'blob', containerPort: platform.ports.blobServer },
          metricsPort,
        ],
        resources: flinkProcessResources('250m', flinkProcessMemory.jobManager),
        readinessProbe: { httpGet: { path: '/overview', port: 'rest' }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: 'rpc' }, initialDelaySeconds: 30, periodSeconds: 20 },
      },
      haRoles.leader,
    ),
    prometheusAnnotations(),
    // One JobManager at a time: the old one stops before the new one takes the service.
    { type: 'Recreate' },
  );
  // REST (the SQL Gateway, port-forwards, the CLI) and metrics only: with HA, TaskManagers reach the
  // leader's pod IP on the RPC and blob ports, never through a fixed Service address.
  const jobManagerService = service(hosts.jobManager, jobManagerLabels, [
    tcpPort('rest', platform.ports.flinkRest),
    tcpPort('metrics', prometheusPort),
  ]);
  const taskManager = deployment(
    'apphub-flink-taskmanager',
    taskManagerLabels,
    platform.flink.taskManagers,
    flinkPodSpec(
      {
        name: 'taskmanager',
        args: ['taskmanager'],
        ports: [{ name: 'rpc', containerPort: taskManagerRpcPort }, metricsPort],
        resources: flinkProcessResources('500m', flinkProcessMemory.taskManager),
        readinessProbe: { httpGet: { path: '/metrics', port: 'metrics' }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: 'rpc' }, initialDelaySeconds: 30, periodSeconds: 20 },
      },
      haRoles.follower,
    ),
    prometheusAnnotations(),
  );
  const gateway = deployment(
    hosts.sqlGateway,
    gatewayLabels,
    1,
    flinkPodSpec(
      {
        name: 'sql-gateway',
        args: ['bin/sql-gateway.sh', 'start-foreground'],
        ports: [{ name: 'rest', containerPort: platform.ports.sqlGateway }, metricsPort],
        resources: resources({ cpu: '100m', memory: '512Mi' }, { cpu: '500m', memory: '768Mi' }),
        readinessProbe: { httpGet: { path: '/v1/info', port: 'rest' }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: 'rest' }, initialDelaySeconds: 30, periodSeconds: 20 },
      },
      // Its REST client looks up the JobManager's REST address (rest.address: the Service) in the leader ConfigMap.
      haRoles.follower,
    ),
    prometheusAnnotations(),
  );
  const gatewayService = service(hosts.sqlGateway, gatewayLabels, [
    tcpPort('rest', platform.ports.sqlGateway),
  ]);
  return {
    'flink-ha-rbac.yaml': flinkHaRbacManifests(),
    'flink-config.yaml': [configMap],
    'flink-jobmanager.yaml': [jobManager, jobManagerService],
    'flink-taskmanager.yaml': [taskManager],
    'flink-sql-gateway.yaml': [gateway, gatewayService],
  };
}

/**
 * One ServiceAccount, Role and RoleBinding per HA role: the JobManager writes the HA ConfigMaps,
 * TaskManagers and the SQL Gateway only read them. Flink's pods must run with such an account:
 * https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/ha/kubernetes_ha/#rbac-example
 */
function flinkHaRbacManifests(): Manifest[] {
  return (['leader', 'follower'] as const).flatMap((role) => {
    const { serviceAccountName } = haRoles[role];
    const accessLabels = labels('apphub-flink', `ha-${role}`);
    const verbs = haConfigMapVerbs[role];
    return [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(serviceAccountName, accessLabels) },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: metadata(serviceAccountName, accessLabels),
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: [...verbs] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: metadata(serviceAccountName, accessLabels),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: serviceAccountName },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace }],
      },
    ];
  });
}

function redpandaManifests(): Record<string, Manifest[]> {
  const brokerLabels = labels('apphub-redpanda', 'broker');
  const internalAddress = `${hosts.redpanda}.${namespace}.svc.cluster.local:${platform.ports.kafka}`;
  const statefulSet: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(hosts.redpanda, brokerLabels),
    spec: {
      serviceName: hosts.redpanda,
      replicas: 1,
      selector: { matchLabels: selector('apphub-redpanda', 'broker') },
      template: {
        metadata: { labels: brokerLabels },
        spec: {
          securityContext: { fsGroup: 101 },
          containers: [
            {
              name: 'redpanda',
              image: images.redpanda,
              args: [
                'redpanda',
                'start',
                '--mode=dev-container',
                '--smp=1',
                '--memory=1G',
                `--kafka-addr=internal://0.0.0.0:${platform.ports.kafka},external://0.0.0.0:${externalKafkaPort}`,
                // The external listener serves `kubectl port-forward svc/apphub-redpanda 9092:19092` on a workstation.
                `--advertise-kafka-addr=internal://${internalAddress},external://127.0.0.1:${platform.ports.kafka}`,
              ],
              ports: [
                { name: 'kafka', containerPort: platform.ports.kafka },
                { name: 'kafka-external', containerPort: externalKafkaPort },
                { name: 'admin', containerPort: redpandaAdminPort },
              ],
              resources: resources({ cpu: '250m', memory: '1Gi' }, { cpu: '1', memory: '1536Mi' }),
              readinessProbe: {
                exec: { command: ['/bin/bash', '-c', "rpk cluster health | grep -Eq 'Healthy:.+true'"] },
                periodSeconds: 10,
                timeoutSeconds: 5,
              },
              livenessProbe: { tcpSocket: { port: 'kafka' }, initialDelaySeconds: 30, periodSeconds: 20 },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/redpanda/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: brokerLabels },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
  const redpandaService = service(
    hosts.redpanda,
    brokerLabels,
    [
      tcpPort('kafka', platform.ports.kafka),
      tcpPort('kafka-external', externalKafkaPort),
      tcpPort('admin', redpandaAdminPort),
    ],
    { clusterIP: 'None' },
  );
  const topics = job('apphub-redpanda-topics', labels('apphub-redpanda', 'topic-bootstrap'), {
    name: 'create-topics',
    image: images.redpanda,
    command: ['/bin/bash', '-c', topicBootstrapScript(`${hosts.redpanda}:${platform.ports.kafka}`)],
  });
  return { 'redpanda.yaml': [statefulSet, redpandaService, topics] };
}

function minioManifests(): Record<string, Manifest[]> {
  const storeLabels = labels('apphub-minio', 'object-store');
  const credentialEnv = [
    secretEnv('MINIO_ROOT_USER', 'MINIO_ROOT_USER'),
    secretEnv('MINIO_ROOT_PASSWORD', 'MINIO_ROOT_PASSWORD'),
  ];
  const secret: Manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(minioSecret, labels('apphub-minio', 'credentials')),
    type: 'Opaque',
    // Demo credentials of a local cluster; replace the Secret before exposing MinIO anywhere else.
    stringData: {
      MINIO_ROOT_USER: minioDemoCredentials.user,
      MINIO_ROOT_PASSWORD: minioDemoCredentials.password,
    },
  };
  const claim: Manifest = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata('apphub-minio-data', storeLabels),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
  };
  const server = deployment(
    hosts.minio,
    storeLabels,
    1,
    {
      containers: [
        {
          name: 'minio',
          image: images.minio,
          args: ['server', '/data', '--console-address', ':9001'],
          env: credentialEnv,
          ports: [
            { name: 's3', containerPort: minioPort },
            { name: 'console', containerPort: 9001 },
          ],
          resources: resources({ cpu: '100m', memory: '256Mi' }, { cpu: '500m', memory: '512Mi' }),
          readinessProbe: { httpGet: { path: '/minio/health/ready', port: 's3' }, periodSeconds: 10 },
          livenessProbe: {
            httpGet: { path: '/minio/health/live', port: 's3' },
            initialDelaySeconds: 10,
            periodSeconds: 20,
          },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'apphub-minio-data' } }],
    },
    {},
    // The volume is ReadWriteOnce: the old pod must let go of it before the new one starts.
    { type: 'Recreate' },
  );
  const minioService = service(hosts.minio, storeLabels, [
    tcpPort('s3', minioPort),
    tcpPort('console', 9001),
  ]);
  const bootstrap = job('apphub-minio-bootstrap', labels('apphub-minio', 'bucket-bootstrap'), {
    name: 'create-buckets',
    image: images.minioClient,
    command: [
      '/bin/sh',
      '-c',
      bucketBootstrapScript(`http://${hosts.minio}:${minioPort}`, [platform.storage.checkpointBucket]),
    ],
    env: credentialEnv,
  });
  return { 'minio-credentials.yaml': [secret], 'minio.yaml': [claim, server, minioService, bootstrap] };
}

/** Every manifest file of infra/minikube (without kustomization.yaml), by file name. */
export function minikubeManifests(): Record<string, Manifest[]> {
  return {
    'namespace.yaml': [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': partOf } },
      },
    ],
    ...minioManifests(),
    ...flinkManifests(),
    ...redpandaManifests(),
  };
}

/** The kustomization that `kubectl apply -k infra/minikube` reads. */
export function kustomization(files: readonly string[]): Manifest {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace,
    resources: [...files],
  };
}
