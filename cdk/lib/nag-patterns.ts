import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

/**
 * The findings of the one function the CDK's AwsCustomResource adds to `stack`, suppressed with why
 * they are acceptable; `calls` names the SDK calls the stack's custom resources make.
 */
export function suppressAwsCustomResourceFunction(stack: Stack, calls: string): void {
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: 'AwsSolutions-IAM4',
      reason: `The CDK's AwsCustomResource function runs with AWSLambdaBasicExecutionRole (its logs), and calls only ${calls}.`,
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    },
    {
      id: 'AwsSolutions-L1',
      reason: "The CDK's AwsCustomResource function's runtime is chosen by aws-cdk-lib, not by this app.",
    },
  ]);
}

/**
 * cdk-nag `appliesTo` patterns for the IAM5 findings that CDK's S3 grants produce, so each
 * suppression names exactly the wildcards it accepts and nothing broader.
 */

/** The wildcard action groups of `bucket.grantRead/grantReadWrite/grantDelete`. */
export const S3_GRANT_ACTIONS = { regex: '/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\\*$/g' };

/** Object ARNs directly under one of `prefixes` (e.g. `<bucket arn>/savepoints/*`). */
export function objectsUnder(...prefixes: readonly string[]): { regex: string } {
  return { regex: `/^Resource::.*\\/(${prefixes.join('|')})\\/\\*$/g` };
}

/**
 * Object ARNs of one bucket (`<bucket arn>/*`), the bucket named by its logical id when the app
 * creates it, or by its name when it is attached.
 */
export function objectsOfBucket(bucket: string): { regex: string } {
  const literal = bucket.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return { regex: `/^Resource::.*${literal}.*\\/\\*$/g` };
}
