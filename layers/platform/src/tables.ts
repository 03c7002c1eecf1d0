import { platform } from './platform.js';

/** Key schema of a DynamoDB table: partition key and optional sort key, both strings. */
export interface TableKeySchema {
  readonly tableName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch-seconds attribute after which DynamoDB deletes an item by itself (TTL); none by default. */
  readonly timeToLiveAttribute?: string;
}

/**
 * The project's DynamoDB tables. The CDK stacks and the local stack both create them from this
 * list, so the key names cannot drift between AWS and a developer's machine.
 */
export const tables = Object.freeze({
  watermarks: { tableName: platform.storage.watermarkTable, partitionKey: 'pk', sortKey: 'sk' },
  jobs: { tableName: platform.storage.jobsTable, partitionKey: 'jobName' },
  savepoints: {
    tableName: platform.storage.savepointsTable,
    partitionKey: 'jobName',
    sortKey: 'savepointId',
  },
  /** Single-flight leases of the control plane (a pass, or one job's operation). */
  leases: {
    tableName: platform.storage.leasesTable,
    partitionKey: 'leaseName',
    // A lease a crashed run never released goes by itself (the control plane writes the attribute).
    timeToLiveAttribute: 'expiresAtSeconds',
  },
  /** The autoscaler's decisions with their inputs, per job in time order; old ones expire by TTL. */
  autoscaleDecisions: {
    tableName: platform.storage.autoscaleDecisionsTable,
    partitionKey: 'jobName',
    sortKey: 'decidedAt',
    timeToLiveAttribute: 'expiresAtSeconds',
  },
} satisfies Record<string, TableKeySchema>);
