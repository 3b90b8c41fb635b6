/** UI text in Japanese first, English available (`?lang=en`, remembered in a cookie). */
export type Lang = 'ja' | 'en';

const ja = {
  'nav.home': 'ホーム',
  'nav.products': '商品一覧',
  'nav.cart': 'カート',
  'nav.login': 'ログイン',
  'nav.logout': 'ログアウト',
  'nav.account': 'マイページ',
  'nav.register': '会員登録',
  'search.placeholder': '商品を検索',
  'search.button': '検索',
  'footer.tokushoho': '特定商取引法に基づく表記',
  'footer.privacy': 'プライバシーポリシー',
  'footer.terms': 'ご利用規約',
  'footer.catalogRequest': 'カタログ請求（電話・FAX・郵便でのご注文）',
  'footer.card': 'カード情報は当店のサーバーを通りません。決済代行会社の画面で入力されます。',
  'price.taxIncluded': '税込',
  'stock.out': '在庫切れ',
  'stock.low': '残りわずか',
  'stock.in': '在庫あり',
  'cart.add': 'カートに入れる',
  'cart.empty': 'カートに商品はありません。',
  'cart.title': 'ショッピングカート',
  'cart.checkout': 'ご購入手続きへ',
  'cart.update': '数量を更新',
  'cart.remove': '削除',
  'cart.subtotal': '商品合計',
  'products.sort.recommended': 'おすすめ順',
  'products.sort.new': '新着順',
  'products.sort.priceAsc': '価格の安い順',
  'products.sort.priceDesc': '価格の高い順',
  'products.none': '該当する商品はありません。',
  'paging.prev': '前へ',
  'paging.next': '次へ',
  'lang.switch': 'English',
} as const;

export type MessageKey = keyof typeof ja;

const en: Record<MessageKey, string> = {
  'nav.home': 'Home',
  'nav.products': 'Products',
  'nav.cart': 'Cart',
  'nav.login': 'Log in',
  'nav.logout': 'Log out',
  'nav.account': 'My account',
  'nav.register': 'Sign up',
  'search.placeholder': 'Search products',
  'search.button': 'Search',
  'footer.tokushoho': 'Legal notice (Specified Commercial Transactions Act)',
  'footer.privacy': 'Privacy policy',
  'footer.terms': 'Terms',
  'footer.catalogRequest': 'Request a paper catalog (order by phone, FAX or post)',
  'footer.card': 'Card details never pass through our servers: you enter them on the payment provider’s page.',
  'price.taxIncluded': 'incl. tax',
  'stock.out': 'Out of stock',
  'stock.low': 'Only a few left',
  'stock.in': 'In stock',
  'cart.add': 'Add to cart',
  'cart.empty': 'Your cart is empty.',
  'cart.title': 'Shopping cart',
  'cart.checkout': 'Proceed to checkout',
  'cart.update': 'Update quantities',
  'cart.remove': 'Remove',
  'cart.subtotal': 'Items total',
  'products.sort.recommended': 'Recommended',
  'products.sort.new': 'Newest',
  'products.sort.priceAsc': 'Price: low to high',
  'products.sort.priceDesc': 'Price: high to low',
  'products.none': 'No products found.',
  'paging.prev': 'Previous',
  'paging.next': 'Next',
  'lang.switch': '日本語',
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { ja, en };

export type Translate = (key: MessageKey) => string;

export function translator(lang: Lang): Translate {
  const dict = dictionaries[lang];
  return (key) => dict[key];
}

/** `¥1,080`. (toLocaleString is slow on hot pages; yen have no fraction digits.) */
export function formatYen(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  return `${sign}¥${String(Math.abs(Math.trunc(amount))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}
