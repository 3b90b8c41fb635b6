/** The text keyword search matches against: names, SKUs and description, NFKC and lower-cased. */
export function productSearchText(p: { name_ja: string; name_en: string; description_md: string; variants: readonly { sku: string }[] }): string {
  return [p.name_ja, p.name_en, ...p.variants.map((v) => v.sku), p.description_md]
    .join('\n')
    .normalize('NFKC')
    .toLowerCase();
}
