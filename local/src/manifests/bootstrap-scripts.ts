import { platform, tables } from '@apphub/platform';

/**
 * Shell script (run with the Redpanda image) that creates both topics with their partitions and
 * retention from infra/platform.json, or aligns the retention of topics that already exist, so a
 * rerun of the init container or Job is harmless. `brokers` is the in-cluster Kafka address.
 */
export function topicBootstrapScript(brokers: string): string {
  // Kafka API only (rpk topic/cluster info), so the script needs no access to Redpanda's admin port.
  const lines = [
    'set -eu',
    `export RPK_BROKERS=${brokers}`,
    'until rpk cluster info >/dev/null 2>&1; do sleep 2; done',
  ];
  for (const topic of Object.values(platform.topics)) {
    lines.push(
      `rpk topic list | awk '{print $1}' | grep -qx '${topic.name}' || rpk topic create ${topic.name} --partitions ${topic.partitions} --replicas 1 --topic-config retention.ms=${topic.retentionMs}`,
      `rpk topic alter-config ${topic.name} --set retention.ms=${topic.retentionMs}`,
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
