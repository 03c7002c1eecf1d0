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
