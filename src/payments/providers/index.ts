import type { Config } from '../../app/config.js';
import type { PaymentProvider } from '../provider.js';
import { SandboxProvider } from './sandbox.js';
import { StripeProvider } from './stripe.js';

/** Chooses the configured provider (`PAYMENT_PROVIDER`). */
export function createPaymentProvider(config: Config): PaymentProvider {
  switch (config.paymentProvider) {
    case 'sandbox':
      return new SandboxProvider({
        apiUrl: config.psp.apiUrl,
        publicOrigin: new URL(config.psp.publicUrl).origin,
        apiKey: config.secrets.pspApiKey,
        webhookSecret: config.secrets.pspWebhookSecret,
      });
    case 'stripe':
      if (!config.stripe) throw new Error('PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.');
      return new StripeProvider({ secretKey: config.stripe.secretKey, webhookSecret: config.stripe.webhookSecret });
  }
}
