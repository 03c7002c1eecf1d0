import { tables } from '@apphub/platform';
import { partitionDecreaseMessage, platformTopicSpecs, replicationFactorFor } from '@apphub/topics';

/**
 * Shell script (run with the Redpanda image) that carries out the topic manager's plan
 * (@apphub/topics) for the platform's topics with rpk: it first refuses a partition decrease with
 * the topic manager's one line and changes nothing, then creates missing topics with their partitions
 * and settings, raises partition counts, and applies the settings to existing topics; it never
 * deletes a topic, so a rerun of the init container or Job is harmless. `brokers` is the in-cluster
 * Kafka address. Redpanda is a single broker here: replication 1, as replicationFactorFor(1).
 */
export function topicBootstrapScript(brokers: string): string {
  const specs = platformTopicSpecs();
  const settings = (flag: string, config: Readonly<Record<string, string>>) =>
    Object.entries(config)
      .map(([key, value]) => `${flag} ${key}=${value}`)
      .join(' ');
  // Kafka API only (rpk topic/cluster info), so the script needs no access to Redpanda's admin port.
  const lines = [
    'set -eu',
    `export RPK_BROKERS=${brokers}`,
    'until rpk cluster info >/dev/null 2>&1; do sleep 2; done',
    `partitions_of() { rpk topic list | awk -v topic="$1" '$1 == topic {print $2}'; }`,
  ];
  for (const spec of specs) {
    const refusal = partitionDecreaseMessage([
      { name: spec.name, observed: '$current', desired: spec.partitions },
    ]);
    lines.push(
      `current=$(partitions_of ${spec.name})`,
      `if [ -n "$current" ] && [ "$current" -gt ${spec.partitions} ]; then echo "${refusal}" >&2; exit 1; fi`,
    );
  }
  for (const spec of specs) {
    lines.push(
      `current=$(partitions_of ${spec.name})`,
      `if [ -z "$current" ]; then rpk topic create ${spec.name} --partitions ${spec.partitions} --replicas ${replicationFactorFor(1)} ${settings('--topic-config', spec.config)}; ` +
        `elif [ "$current" -lt ${spec.partitions} ]; then rpk topic add-partitions ${spec.name} --num $((${spec.partitions} - current)); fi`,
      `rpk topic alter-config ${spec.name} ${settings('--set', spec.config)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Shell script (run with the MinIO client image) that waits for MinIO and creates `buckets`;
 * `--ignore-existing` makes a rerun harmless. Credentials come from the container's environment.
 */
export function bucketBootstrapScript(minioUrl: string, buckets: readonly string[]): string {
  const lines = [
    'set -eu',
    `until mc alias set apphub ${minioUrl} "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" && mc ready apphub; do sleep 2; done`,
    ...buckets.map((bucket) => `mc mb --ignore-existing apphub/${bucket}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Python script (run with the moto image, which ships boto3) that creates the DynamoDB tables with the
 * key schemas of @apphub/platform `tables`, the same list the native stack and the CDK stacks create
 * (S3 is MinIO's, as natively). Existing tables are left as they are.
 */
export function awsBootstrapScript(endpointUrl: string): string {
  const spec = {
    tables: Object.values(tables).map((table) => ({
      name: table.tableName,
      keys: [[table.partitionKey, 'HASH'], ...('sortKey' in table ? [[table.sortKey, 'RANGE']] : [])],
    })),
  };
  return `import json, time, boto3
spec = json.loads(${JSON.stringify(JSON.stringify(spec))})
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
dynamodb = session.client("dynamodb", endpoint_url="${endpointUrl}")
for attempt in range(60):
    try:
        dynamodb.list_tables()
        break
    except Exception:
        time.sleep(1)
existing_tables = set(dynamodb.list_tables()["TableNames"])
for table in spec["tables"]:
    if table["name"] in existing_tables:
        continue
    dynamodb.create_table(
        TableName=table["name"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in table["keys"]],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in table["keys"]],
    )
print("aws resources ready:", spec)
`;
}
