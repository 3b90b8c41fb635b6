import type { z } from 'zod';
import {
  WebhookVerificationError,
  type CreateSessionInput,
  type PaymentProvider,
  type PaymentSession,
  type ProviderPayment,
  type WebhookEvent,
} from '../provider.js';
import {
  apiErrorSchema,
  providerPaymentSchema,
  sessionResponseSchema,
  webhookEventSchema,
  type CreateSessionRequest,
} from './sandbox-protocol.js';
import { SANDBOX_SIGNATURE_HEADER, verifySandboxSignature } from './sandbox-signature.js';

export { signSandboxWebhook } from './sandbox-signature.js';

export interface SandboxProviderOptions {
  /** Base URL of the PSP's server API (reachable from the shop's server). */
  apiUrl: string;
  /** Origin of the hosted payment page as buyers see it. */
  publicOrigin: string;
  apiKey: string;
  webhookSecret: string;
  fetchImpl?: typeof fetch;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** A PSP call that failed: `status` is the HTTP status (0 when no answer arrived), `code` the PSP's error code. */
export class SandboxApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SandboxApiError';
  }
}

/**
 * The shop's client of the sandbox PSP (`psp/`). Talks JSON over HTTP with a bearer API key and
 * verifies webhooks with the shared HMAC scheme. Nothing here ever sees card data.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly origin: string;
  private readonly apiUrl: string;
  private readonly apiKey: string;
  private readonly webhookSecret: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: SandboxProviderOptions) {
    this.origin = new URL(opts.publicOrigin).origin;
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.webhookSecret = opts.webhookSecret;
    // Resolved per call, so a test can replace the global fetch after construction.
    this.fetchImpl = opts.fetchImpl ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async createSession(input: CreateSessionInput): Promise<PaymentSession> {
    const body: CreateSessionRequest = {
      orderReference: input.orderReference,
      orderNumber: input.orderNumber,
      amountYen: input.amountYen,
      currency: input.currency,
      idempotencyKey: input.idempotencyKey,
      returnUrl: input.returnUrl,
      cancelUrl: input.cancelUrl,
      webhookUrl: input.webhookUrl,
      description: input.description,
      customerEmail: input.customerEmail,
      expiresAt: input.expiresAt.toISOString(),
    };
    const session = await this.call('POST', '/v1/sessions', sessionResponseSchema, body);
    // The buyer is sent to this URL: it must be on the provider's origin and nowhere else.
    if (new URL(session.redirectUrl).origin !== this.origin) {
      throw new SandboxApiError(
        `Sandbox PSP returned a redirect URL outside its origin ${this.origin}`,
        200,
        'redirect_origin_mismatch',
      );
    }
    return session;
  }

  parseWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent {
    verifySandboxSignature(this.webhookSecret, rawBody, headerValue(headers, SANDBOX_SIGNATURE_HEADER));
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new WebhookVerificationError('Webhook body is not valid JSON');
    }
    const parsed = webhookEventSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(body)').join(', ');
      throw new WebhookVerificationError(`Webhook body has an unexpected shape (${fields})`);
    }
    return parsed.data;
  }

  fetchPayment(providerPaymentId: string): Promise<ProviderPayment> {
    return this.call('GET', `/v1/payments/${encodeURIComponent(providerPaymentId)}`, providerPaymentSchema);
  }

  capture(providerPaymentId: string, amountYen?: number): Promise<ProviderPayment> {
    return this.call(
      'POST',
      `/v1/payments/${encodeURIComponent(providerPaymentId)}/capture`,
      providerPaymentSchema,
      amountYen === undefined ? {} : { amountYen },
    );
  }

  cancel(providerPaymentId: string): Promise<ProviderPayment> {
    return this.call('POST', `/v1/payments/${encodeURIComponent(providerPaymentId)}/cancel`, providerPaymentSchema, {});
  }

  refund(providerPaymentId: string, amountYen: number, idempotencyKey: string): Promise<ProviderPayment> {
    return this.call('POST', `/v1/payments/${encodeURIComponent(providerPaymentId)}/refunds`, providerPaymentSchema, {
      amountYen,
      idempotencyKey,
    });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const what = `Sandbox PSP ${method} ${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const reason =
        err instanceof Error && err.name === 'TimeoutError'
          ? `timed out after ${this.timeoutMs} ms`
          : err instanceof Error
            ? err.message
            : 'request failed';
      throw new SandboxApiError(`${what} failed: ${reason}`, 0, 'network_error', { cause: err });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new SandboxApiError(`${what} failed while reading the answer`, res.status, 'network_error', { cause: err });
    }
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      // handled below
    }
    if (!res.ok) {
      const err = apiErrorSchema.safeParse(json);
      const code = err.success ? err.data.error : 'http_error';
      const detail = err.success && err.data.message ? `: ${err.data.message}` : '';
      throw new SandboxApiError(`${what} answered ${res.status} ${code}${detail}`, res.status, code);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new SandboxApiError(`${what} returned an unexpected answer`, res.status, 'invalid_response');
    }
    return parsed.data;
  }
}

/** A header by case-insensitive name; a repeated header is refused rather than guessed at. */
function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) {
      if (value.length !== 1) throw new WebhookVerificationError(`Expected one ${name} header`);
      return value[0];
    }
    return value;
  }
  return undefined;
}
