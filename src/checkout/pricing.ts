import { regionOf, type Prefecture } from '../shared/jp.js';
import type { ShopSettings, TaxRounding } from '../settings/defaults.js';
import type { PaymentMethod } from './tables.js';

/**
 * Pure order calculator: no database, no clock. Prices are tax-inclusive integer yen (総額表示);
 * the tax contained in each rate's total is computed once per rate per order with the configured
 * rounding, as a qualified invoice (適格請求書) requires. Shipping and the COD fee are 10% items.
 */
export interface PricedLineInput {
  unitPriceYen: number;
  quantity: number;
  taxRate: number;
}

export interface OrderTotals {
  itemsTotalYen: number;
  shippingFeeYen: number;
  codFeeYen: number;
  totalYen: number;
  taxable8Yen: number;
  tax8Yen: number;
  taxable10Yen: number;
  tax10Yen: number;
  rounding: TaxRounding;
}

export class CodNotAvailableError extends Error {}

/** Tax contained in a tax-inclusive amount: amount × rate / (100 + rate), rounded once. */
export function includedTax(amountYen: number, ratePercent: number, rounding: TaxRounding): number {
  const numerator = amountYen * ratePercent;
  const denominator = 100 + ratePercent;
  if (rounding === 'floor') return Math.floor(numerator / denominator);
  if (rounding === 'ceil') return Math.ceil(numerator / denominator);
  // round half up, exactly on integers
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

export function shippingFee(settings: ShopSettings['shipping'], prefecture: Prefecture, itemsTotalYen: number): number {
  if (settings.freeFromYen > 0 && itemsTotalYen >= settings.freeFromYen) return 0;
  return settings.prefectureFeesYen[prefecture] ?? settings.regionFeesYen[regionOf(prefecture)] ?? 0;
}

/** COD fee for the amount collected at the door (items + shipping); throws above the table. */
export function codFee(settings: ShopSettings['cod'], amountYen: number): number {
  for (const bracket of settings.feeTable) if (amountYen <= bracket.upToYen) return bracket.feeYen;
  throw new CodNotAvailableError(`代金引換は${settings.feeTable.at(-1)?.upToYen ?? 0}円までのご注文でご利用いただけます。`);
}

export function computeTotals(input: {
  lines: PricedLineInput[];
  shipTo: Prefecture;
  paymentMethod: PaymentMethod;
  settings: Pick<ShopSettings, 'shipping' | 'cod' | 'tax'>;
}): OrderTotals {
  const rounding = input.settings.tax.rounding;
  let items8 = 0;
  let items10 = 0;
  for (const line of input.lines) {
    if (!Number.isSafeInteger(line.unitPriceYen) || !Number.isSafeInteger(line.quantity)) {
      throw new Error('Prices and quantities are integers');
    }
    const amount = line.unitPriceYen * line.quantity;
    if (line.taxRate === 8) items8 += amount;
    else if (line.taxRate === 10) items10 += amount;
    else throw new Error(`Unsupported tax rate ${line.taxRate}`);
  }
  const itemsTotalYen = items8 + items10;
  const shippingFeeYen = shippingFee(input.settings.shipping, input.shipTo, itemsTotalYen);
  const codFeeYen = input.paymentMethod === 'cod' ? codFee(input.settings.cod, itemsTotalYen + shippingFeeYen) : 0;
  const taxable8Yen = items8;
  const taxable10Yen = items10 + shippingFeeYen + codFeeYen;
  return {
    itemsTotalYen,
    shippingFeeYen,
    codFeeYen,
    totalYen: itemsTotalYen + shippingFeeYen + codFeeYen,
    taxable8Yen,
    tax8Yen: includedTax(taxable8Yen, 8, rounding),
    taxable10Yen,
    tax10Yen: includedTax(taxable10Yen, 10, rounding),
    rounding,
  };
}
