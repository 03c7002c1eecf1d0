import { AutoscaleDecisionTable, ControlPlaneRecordInvalidError } from '@apphub/control-plane';
import { tables } from '@apphub/platform';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { describeAutoscaleDecisionStoreContract } from '../../support/autoscale-decision-store-contract.js';
import { aws } from '../helpers.js';

// The stack's own table (the storage project's setup creates every table of `tables`).
const tableName = tables.autoscaleDecisions.tableName;

describeAutoscaleDecisionStoreContract(
  'AutoscaleDecisionTable on DynamoDB',
  () => new AutoscaleDecisionTable(aws.dynamodb, tableName),
);

describe('AutoscaleDecisionTable', () => {
  it('fails on an item that is not a decision record, naming the table and the key', async () => {
    // Prepare: an item another writer left with an action the autoscaler does not know
    await aws.documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { jobName: 'bad-decision', decidedAt: '2026-12-01T10:00:00.000Z', action: 'scale-sideways' },
      }),
    );

    // Act
    const read = new AutoscaleDecisionTable(aws.dynamodb, tableName).latest('bad-decision', 1);

    // Assess
    await expect(read).rejects.toThrow(ControlPlaneRecordInvalidError);
    await expect(read).rejects.toThrow(
      `item jobName=bad-decision, decidedAt=2026-12-01T10:00:00.000Z of table ${tableName} is not an autoscale decision record`,
    );
  });
});
