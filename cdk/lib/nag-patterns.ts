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
