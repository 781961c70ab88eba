import type { IConstruct } from 'constructs';
import { backupInfrastructureOf } from './backup-infrastructure';
import { type ProtectOptions, excludeResource, protectResource, protectionOf } from './protection';

/**
 * How a stateful resource is kept, declared where the resource is defined:
 * `Retention.of(table).protect('critical_data')` or `Retention.of(bucket).exclude('why')`.
 * Every stateful resource of an app with a `BackupInfrastructureStack` must be declared one way or
 * the other, or synth fails naming it.
 */
export class Retention {
  /** The retention declarations of one resource (an L2 construct or its CloudFormation resource). */
  static of(resource: IConstruct): Retention {
    return new Retention(resource);
  }

  /**
   * The categories that resources under `scope` (a Stage, a stack, the app) are protected with, each
   * once, sorted: what an environment actually sends, for deriving what its destination must admit.
   */
  static protectedCategories(scope: IConstruct): string[] {
    const categories = scope.node.findAll().flatMap((c) => {
      const record = protectionOf(c);
      return record && record.status !== 'excluded' ? [record.category] : [];
    });
    return [...new Set(categories)].sort();
  }

  private constructor(private readonly resource: IConstruct) {}

  /**
   * Adds the resource to its category's backup plan, in the backup infrastructure of its Stage,
   * and applies what the category demands of it (versioning, database windows, the sensitive
   * table's lock).
   * @param category a category of the retention policy, such as `critical_data`
   */
  protect(category: string, options?: ProtectOptions): void {
    const infrastructure = backupInfrastructureOf(this.resource);
    protectResource(infrastructure.policy, infrastructure, this.resource, category, options ?? {});
  }

  /**
   * Declares the resource deliberately not backed up, with the reason (at least 10 characters),
   * which the protection report shows.
   */
  exclude(reason: string): void {
    excludeResource(this.resource, reason);
  }
}
