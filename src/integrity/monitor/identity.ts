import { createHmac } from 'node:crypto';
import { hmacBase64url, safeEqual } from '../../shared/ids.js';

/**
 * The monitor identity: the orderer the monitor fills the checkout form with. Its e-mail address
 * is derived from the monitor token, so the shop recognises the monitor's orders (and leaves them
 * out of sales) without a marker the pages could see, and nobody without the token can make an
 * order look like one. `.invalid` (RFC 2606) can never receive mail.
 */
export interface MonitorIdentity {
  name: string;
  kana: string;
  postalCode: string;
  prefecture: string;
  address1: string;
  phone: string;
  email: string;
}

export function monitorEmail(token: string): string {
  const tag = createHmac('sha256', token).update('mamori-monitor-identity').digest('hex').slice(0, 20);
  return `monitor+${tag}@monitor.invalid`;
}

export function monitorIdentity(token: string): MonitorIdentity {
  return {
    name: '監視 モニター',
    kana: 'カンシ モニター',
    postalCode: '100-0001',
    prefecture: '東京都',
    address1: '千代田区千代田1-1',
    phone: '03-1234-5678',
    email: monitorEmail(token),
  };
}

/** True when an orderer e-mail is the monitor identity's (compared in constant time). */
export function isMonitorEmail(token: string, email: string | null | undefined): boolean {
  if (!email) return false;
  return safeEqual(email.trim().toLowerCase(), monitorEmail(token));
}

/** The token the shop expects: MONITOR_TOKEN, or one derived from the shop's secret (`npx mamori monitor token` prints it). */
export function shopMonitorToken(configured: string | null, cookieSecret: string): string {
  return configured ?? hmacBase64url(cookieSecret, 'mamori-monitor-token');
}
