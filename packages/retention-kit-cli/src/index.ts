// The runtime library behind the `retention` command and the Lambda handlers, for TypeScript and
// JavaScript programs that run the same jobs themselves: Cognito export and restore, table and
// bucket hydration, in-place table recovery, the protection report of a synthesized app, and the
// storage cost estimate.
export { type ObjectStore, FolderStore, S3Store, storeFor } from './runtime/store';
export { createCognitoClient, type CognitoClientOptions } from './runtime/cognito/client';
export { exportUserPool, CognitoExportError, type ExportOptions, type ExportProgress } from './runtime/cognito/exporter';
export { runExportJob, type ExportJobOptions, type ExportJobResult } from './runtime/cognito/export-job';
export { openExport, verifyExport, type ExportRun, type Verification } from './runtime/cognito/export-reader';
export { restoreUserPool, RestoreRefusedError, type RestoreOptions, type RestoreProgress, type RestoreSummary } from './runtime/cognito/restorer';
export { hydrateTable, HydrateRefusedError, type HydrateTableOptions, type HydrateTableResult, type HydrateProgress, type HydrateMode, type SyncMethod } from './runtime/dynamodb/hydrate-table';
export { recoverTable, RecoverRefusedError, type RecoverTableOptions, type RecoveryResult, type PreRecoveryBackup } from './runtime/dynamodb/recover-table';
export { hydrateBucket, type HydrateBucketOptions, type HydrateBucketResult, type BucketProgress } from './runtime/s3/hydrate-bucket';
export { protectionReport, type ProtectionReport, type ReportRow, type ProtectionStatus } from './report/protection-report';
export { checkAssembly, type CheckProblem } from './report/check';
export { planEstimate, parseSizes, type CostEstimate, type CostLine, type ResourceSizes } from './runtime/cost/plan-estimate';
export { liveEstimate } from './runtime/cost/live-estimate';
export { DEFAULT_PRICE_BOOK, mergePriceBooks, parsePriceFile, readPriceFile, type PriceBook } from './runtime/cost/prices';
export { readPriceList } from './runtime/cost/price-list';
export { formatJson, formatMarkdown, formatTable } from './report/format';
export { writeJsonReport } from './cli/commands/report';
export { buildProgram, main } from './cli/main';
export { runApp } from './cli/run-app';

// Building blocks of the jobs above, for tools that measure or drill them.
export { type Item, canonicalItem, keyOf } from './runtime/dynamodb/item';
export { putItems, deleteItems } from './runtime/dynamodb/batch-writer';
export { digestTable, forEachSegment, scanSegment } from './runtime/dynamodb/table-scan';
export { listObjects } from './runtime/s3/listing';
export { copySource } from './runtime/s3/copy-object';
export { limitToQuotas } from './runtime/cognito/client';
export { COGNITO_DEFAULT_QUOTAS, quotaBoundSeconds, restoreQuotaBoundSeconds } from './runtime/cognito/quotas';
export { cdkJsonContext } from './runtime/cdk-json';
export { parsePositiveInteger } from './cli/options';
export { generatedDocuments } from './docs/generated';
