/**
 * Builds the CSV files of Cognito's user import job, by the rules of "Creating the user import
 * CSV file" in the Amazon Cognito Developer Guide:
 * - the first row is the header GetCSVHeader returns (all its columns, in any order);
 * - `cognito:username` and `cognito:mfa_enabled` are required, and at least one of the pool's
 *   auto-verified attributes must be true for each user, with its email or phone number;
 * - values are not quoted; a comma in a value is escaped with a backslash; leading and trailing
 *   white space is trimmed; the username may not contain spaces or tabs;
 * - UTF-8 without a byte order mark; a row holds at most 16,000 characters; a file at most
 *   500,000 users and 100 MB.
 * A user whose values the format cannot carry exactly (a line break, a quote, a backslash, white
 * space at either end, an empty value) is left to the per-user path, with the reason.
 */
import type { UserRecord } from './export-format';

export const CSV_LIMITS = { rowCharacters: 16_000, rowsPerFile: 500_000, bytesPerFile: 100 * 1024 * 1024 } as const;

/** Columns whose values are booleans in the import file. */
const BOOLEAN_COLUMNS = new Set(['email_verified', 'phone_number_verified', 'cognito:mfa_enabled']);

export interface ImportContext {
  /** The target pool's CSV header, as GetCSVHeader returns it. */
  readonly header: readonly string[];
  /** The target pool's MFA setting: OFF, ON or OPTIONAL. */
  readonly mfaConfiguration: string;
  /** The target pool's auto-verified attributes (`email`, `phone_number`). */
  readonly autoVerifiedAttributes: readonly string[];
}

export type CsvRow = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly reason: string };

/**
 * The user's row, or why the user cannot go through an import job. `attributes` are those the
 * restore writes (attributesToWrite), `username` the name it creates the user with.
 */
export function csvRow(username: string, attributes: Readonly<Record<string, string>>, user: UserRecord, context: ImportContext): CsvRow {
  if (/\s/.test(username)) return { ok: false, reason: 'the username contains white space, which an import file cannot hold' };
  if (context.autoVerifiedAttributes.length === 0) return { ok: false, reason: 'the target pool has no auto-verified attribute, which an import job requires' };
  const verified = context.autoVerifiedAttributes.filter((name) => attributes[`${name}_verified`] === 'true' && attributes[name]);
  const needed = context.autoVerifiedAttributes.length === 1 ? context.autoVerifiedAttributes : [];
  if (verified.length === 0 || needed.some((name) => !verified.includes(name))) {
    return { ok: false, reason: `an import job needs a verified ${context.autoVerifiedAttributes.join(' or ')}; the user has none` };
  }
  const columns = new Set(context.header);
  for (const name of Object.keys(attributes)) {
    if (!columns.has(name)) return { ok: false, reason: `the import header has no column for ${name}` };
  }
  if (attributes.birthdate !== undefined) {
    // The import file wants mm/dd/yyyy where the attribute holds YYYY-MM-DD; how Cognito stores
    // the converted value is not documented, so such users keep their exact value per user.
    return { ok: false, reason: 'birthdate is written per user, so that its stored form stays exactly as exported' };
  }
  const cells: string[] = [];
  for (const column of context.header) {
    const present = column in attributes;
    const value = column === 'cognito:username' ? username : column === 'cognito:mfa_enabled' ? mfaEnabled(user, context.mfaConfiguration) : (attributes[column] ?? '');
    const problem = cellProblem(column, value, present);
    if (problem) return { ok: false, reason: problem };
    cells.push(BOOLEAN_COLUMNS.has(column) && value !== '' ? value.toUpperCase() : value.replace(/,/g, '\\,'));
  }
  const line = cells.join(',');
  if (line.length > CSV_LIMITS.rowCharacters) return { ok: false, reason: `the row has ${line.length} characters; an import file allows ${CSV_LIMITS.rowCharacters}` };
  return { ok: true, line };
}

function mfaEnabled(user: UserRecord, mfaConfiguration: string): string {
  if (mfaConfiguration === 'ON') return 'true';
  if (mfaConfiguration === 'OFF') return 'false';
  return user.mfaOptions?.length ? 'true' : 'false';
}

function cellProblem(column: string, value: string, present: boolean): string | undefined {
  if (present && value === '') return `${column} is empty, which an import file reads as not set`;
  if (/[\r\n]/.test(value)) return `${column} holds a line break, which an import file cannot hold`;
  if (value.includes('"')) return `${column} holds a quotation mark, which an import file cannot hold`;
  if (value.includes('\\')) return `${column} holds a backslash, which an import file reserves for escaping commas`;
  if (value !== value.trim()) return `${column} starts or ends with white space, which an import job trims`;
  if (BOOLEAN_COLUMNS.has(column) && value !== '' && !['true', 'false'].includes(value.toLowerCase())) return `${column} is "${value}", not true or false`;
  return undefined;
}

/** Splits a row back into its values: the inverse of the escaping above, for checks. */
export function parseCsvLine(line: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i += 1) {
    if (line[i] === '\\' && line[i + 1] === ',') {
      current += ',';
      i += 1;
    } else if (line[i] === ',') {
      values.push(current);
      current = '';
    } else {
      current += line[i];
    }
  }
  values.push(current);
  return values;
}

/**
 * Packs rows into import files within the limits: each file starts with the header and holds at
 * most `rowsPerFile` rows and `bytesPerFile` bytes.
 */
export class ImportFiles {
  readonly files: Buffer[] = [];
  private lines: string[] = [];
  private bytes = 0;
  private readonly headerLine: string;

  constructor(
    header: readonly string[],
    private readonly limits: { rowsPerFile: number; bytesPerFile: number } = CSV_LIMITS,
  ) {
    this.headerLine = header.join(',');
  }

  add(line: string): void {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (this.lines.length > 0 && (this.lines.length >= this.limits.rowsPerFile || this.bytes + size > this.limits.bytesPerFile)) this.flush();
    if (this.lines.length === 0) this.bytes = Buffer.byteLength(this.headerLine, 'utf8') + 1;
    this.lines.push(line);
    this.bytes += size;
  }

  /** The files, each a header and its rows, LF-separated, UTF-8 without a byte order mark. */
  finish(): Buffer[] {
    this.flush();
    return this.files;
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.files.push(Buffer.from(`${[this.headerLine, ...this.lines].join('\n')}\n`, 'utf8'));
    this.lines = [];
    this.bytes = 0;
  }
}
