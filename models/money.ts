// Money is integer minor units of an ISO 4217 currency; these say it to people and check a code.

/** The digits after the decimal point of a currency (2 for USD, 0 for JPY), for showing minor units to people. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as people read them: `12.50 USD`, `3000 JPY`. */
export function moneyText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
}

const currencies = new Set(Intl.supportedValuesOf('currency'));
/** Whether the code is an ISO 4217 currency in use (as this runtime's ICU data knows them). */
export const isCurrency = (code: string) => currencies.has(code);
