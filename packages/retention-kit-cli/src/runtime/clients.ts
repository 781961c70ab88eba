/**
 * SDK client settings shared by every runtime module: adaptive retry (client-side rate limiting on
 * throttling) and the standard endpoint settings (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>),
 * which the SDK reads itself, so the same code runs against AWS and against local servers.
 */
export interface ClientSettings {
  readonly region?: string;
  readonly retryMode: 'adaptive';
  readonly maxAttempts: number;
}

export function clientSettings(region?: string, maxAttempts = 8): ClientSettings {
  return { ...(region ? { region } : {}), retryMode: 'adaptive', maxAttempts };
}
