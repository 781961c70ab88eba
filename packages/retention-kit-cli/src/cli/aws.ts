/**
 * The AWS conventions every command follows: `--region` and `--profile` when given, otherwise the
 * SDK's own chain (AWS_REGION, AWS_PROFILE, the shared config and credentials files), resolved
 * before the first call so that a missing Region is said plainly.
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { type ClientSettings, clientSettings } from '../runtime/clients';

export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** Adds `--region` and `--profile` to a command that calls AWS. */
export function withAws(command: Command, regionMeaning = 'the Region'): Command {
  return command
    .option('--region <region>', `${regionMeaning} (default: AWS_REGION, then the profile's region)`)
    .option('--profile <name>', 'a named profile of the shared AWS config and credentials files (default: AWS_PROFILE, then default)');
}

/** The Region: `--region`, else the one the SDK finds (AWS_REGION, then the profile's). */
export async function resolveRegion(options: AwsOptions): Promise<string> {
  if (options.region) return options.region;
  try {
    const region = await new STSClient({ profile: options.profile }).config.region();
    if (region) return region;
  } catch {
    // The SDK's "Region is missing" names neither the option nor the variable; the error below does.
  }
  const profile = options.profile ?? process.env.AWS_PROFILE ?? 'default';
  throw new Error(`no AWS Region: pass --region <region>, set AWS_REGION, or give the profile "${profile}" a region (aws configure set region <region> --profile ${profile})`);
}

/** Client settings for the Region and profile the options or the environment name. */
export async function awsSettings(options: AwsOptions, region?: string): Promise<ClientSettings & { region: string; profile?: string }> {
  const resolved = region ?? (await resolveRegion(options));
  return { ...clientSettings(resolved), region: resolved, ...(options.profile ? { profile: options.profile } : {}) };
}

/** `--json`: the command's result as JSON on stdout instead of the text for people. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print the result as JSON (for scripts), instead of the text for people');
}

/** Writes the result: JSON when asked, else the text. */
export function output(options: { json?: boolean }, result: unknown, text: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : text());
}
