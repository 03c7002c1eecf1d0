import { createHash } from 'node:crypto';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** A public image, named as in `public.ecr.aws/<repository>:<tag>`. */
export interface PublicImage {
  readonly repository: string;
  readonly tag: string;
}

export interface PublicImageCacheProps {
  /** The deployment's stack prefix; the cache's repository prefix is derived from it. */
  readonly stackPrefix: string;
}

/** ECR repository prefixes of pull-through cache rules: 2-30 of a-z, 0-9, '-', '_', '/', '.'. */
const MAX_PREFIX = 30;

/** The deployment's own repository prefix for cached ECR Public images (unique per stack prefix). */
export function cacheRepositoryPrefix(stackPrefix: string): string {
  const lower = `${stackPrefix.toLowerCase()}-ecr-public`;
  if (lower.length <= MAX_PREFIX) return lower;
  const hash = createHash('sha256').update(stackPrefix).digest('hex').slice(0, 8);
  return `${stackPrefix.toLowerCase().slice(0, MAX_PREFIX - hash.length - 1)}-${hash}`;
}

/**
 * Images of ECR Public served from the account's own registry through an ECR pull-through cache
 * rule (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html): Fargate
 * pulls every image of a task before it starts, even a non-essential one, so an image pulled from
 * public.ecr.aws at each task start (anonymous, rate-limited, shared by every task behind one NAT
 * address) can keep Flink from starting. Cached, the first pull imports the image into the account;
 * later pulls are ordinary private-registry pulls. ECR Public needs no upstream credentials.
 */
export class PublicImageCache extends Construct {
  readonly rule: ecr.CfnPullThroughCacheRule;
  readonly repositoryPrefix: string;
  private readonly repositories = new Map<string, ecr.IRepository>();

  constructor(scope: Construct, id: string, props: PublicImageCacheProps) {
    super(scope, id);
    this.repositoryPrefix = cacheRepositoryPrefix(props.stackPrefix);
    this.rule = new ecr.CfnPullThroughCacheRule(this, 'Rule', {
      ecrRepositoryPrefix: this.repositoryPrefix,
      upstreamRegistry: 'ecr-public',
      upstreamRegistryUrl: 'public.ecr.aws',
    });
  }

  /**
   * `image` from the cache, for a container of `taskDefinition`: its execution role may pull it and,
   * as the first pull needs (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html),
   * import it from upstream and create its repository; the task waits for the rule.
   */
  containerImage(image: PublicImage, taskDefinition: ecs.TaskDefinition): ecs.ContainerImage {
    const name = `${this.repositoryPrefix}/${image.repository}`;
    const repository =
      this.repositories.get(name) ??
      ecr.Repository.fromRepositoryName(
        this,
        `Repository${createHash('sha256').update(name).digest('hex').slice(0, 8)}`,
        name,
      );
    this.repositories.set(name, repository);
    const role = taskDefinition.obtainExecutionRole();
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
        resources: [repository.repositoryArn],
      }),
    );
    taskDefinition.node.addDependency(this.rule);
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecr:GetAuthorizationToken has no resource-level permissions; pulls and the pull-through import are limited to the cached repository.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    return ecs.ContainerImage.fromEcrRepository(repository, image.tag);
  }
}
