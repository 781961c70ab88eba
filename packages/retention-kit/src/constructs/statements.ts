import * as iam from 'aws-cdk-lib/aws-iam';
import type { PolicyStatementJson } from '../policy';

/** The policy layer's statements (plain JSON) as CDK statements. */
export const statements = (...json: PolicyStatementJson[]): iam.PolicyStatement[] => json.map((statement) => iam.PolicyStatement.fromJson(statement));
