import type { DemoImageKind, DemoPalette } from './demo-images.js';

/**
 * The demo catalog a newcomer sees on first start: まもり茶舗 (Mamori Tea House), a small shop for
 * Japanese tea, sweets and teaware. Pure data; `demo.ts` writes it to the database.
 *
 * Prices are tax-inclusive integer yen (総額表示). Food and drink take the reduced 8% rate
 * (軽減税率); teaware takes the standard 10%.
 */

export interface DemoCategory {
  slug: string;
  name_ja: string;
  name_en: string;
}

export interface DemoVariant {
  sku: string;
  name_ja: string;
  name_en: string;
  price_yen: number;
  stock: number;
}

export interface DemoImage {
  kind: DemoImageKind;
  palette: DemoPalette;
  alt_ja: string;
}

export interface DemoProduct {
  slug: string;
  /** Slug of a `DEMO_CATEGORIES` entry. */
  category: string;
  name_ja: string;
  name_en: string;
  tax_rate: 8 | 10;
  description_md: string;
  description_md_en: string | null;
  variants: readonly DemoVariant[];
  images: readonly DemoImage[];
}

/** Lets Markdown be written indented inside the code: drops the common indentation and outer blank lines. */
function md(text: string): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => (l.trim() === '' ? '' : l.slice(cut))).join('\n') + '\n';
}

export const DEMO_SHOP_NAME_JA = 'まもり茶舗';
export const DEMO_SHOP_NAME_EN = 'Mamori Tea House';

export const DEMO_CATEGORIES: readonly DemoCategory[] = [
  { slug: 'green-tea', name_ja: '緑茶', name_en: 'Green tea' },
  { slug: 'hojicha-black-tea', name_ja: 'ほうじ茶・紅茶', name_en: 'Roasted & black tea' },
  { slug: 'wagashi', name_ja: '和菓子', name_en: 'Japanese sweets' },
  { slug: 'teaware', name_ja: '茶器', name_en: 'Teaware' },
];

const TEA_STORAGE = '高温多湿を避け、移り香にご注意ください。開封後はお早めにお召し上がりください。';

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  // ── 緑茶 ────────────────────────────────────────────────────────────────
  {
    slug: 'fukamushi-sencha',
    category: 'green-tea',
    name_ja: '深蒸し煎茶「まもり」',
    name_en: 'Fukamushi Sencha "Mamori"',
    tax_rate: 8,
    description_md: md(`
      静岡県・牧之原台地の契約農家で育てた一番茶を、ふつうの煎茶の倍ほどの時間をかけてじっくり蒸し上げた深蒸し煎茶です。店名を冠した、まもり茶舗の看板商品です。

      細かな茶葉から、濃い緑色の水色（すいしょく）が短い時間でしっかり出ます。渋みは穏やかで、まろやかな甘みとすっきりとした後味をお楽しみいただけます。

      ### おすすめの淹れ方

      1. 急須に茶葉を大さじ1杯（約6g）入れます。
      2. 一度沸騰させて70〜80℃に冷ましたお湯を200ml注ぎます。
      3. 30〜40秒待ち、最後の一滴まで注ぎ切ってください。二煎目はすぐに注いで大丈夫です。

      ### 商品情報

      - 内容量：100g／200g
      - 原材料：緑茶（静岡県産）
      - 賞味期限：製造日より12か月
      - 保存方法：${TEA_STORAGE}
    `),
    description_md_en: md(`
      First-flush tea from partner farms on the Makinohara plateau in Shizuoka, steamed about twice as long as ordinary sencha. Our house tea, named after the shop.

      The fine leaves brew a deep green cup in seconds: mellow, gently sweet and low in bitterness, with a clean finish.

      ### How to brew

      1. Put about 6 g (one tablespoon) of leaves in a teapot.
      2. Pour 200 ml of water that has boiled and cooled to 70–80 °C.
      3. Wait 30–40 seconds, then pour out every last drop. The second infusion can be poured straight away.

      ### Details

      - Net weight: 100 g / 200 g
      - Ingredients: green tea (Shizuoka, Japan)
      - Best before: 12 months from production
      - Storage: keep away from heat, humidity and strong odours.
    `),
    variants: [
      { sku: 'GT-SEN-100', name_ja: '100g', name_en: '100g', price_yen: 1080, stock: 150 },
      { sku: 'GT-SEN-200', name_ja: '200g', name_en: '200g', price_yen: 2052, stock: 80 },
      { sku: 'GT-SEN-100X3', name_ja: '100g 3袋セット', name_en: 'Set of 3 (100g each)', price_yen: 3024, stock: 40 },
    ],
    images: [
      {
        kind: 'pouch',
        palette: { bg: '#e6efd8', main: '#3f6b35', dark: '#274522', light: '#f6f1e1', accent: '#8cbf5a' },
        alt_ja: '深蒸し煎茶「まもり」の茶袋',
      },
      {
        kind: 'cup',
        palette: { bg: '#f3ecdc', main: '#f7f4ec', dark: '#8b5e3c', light: '#6f9a4a', accent: '#9bbf3f' },
        alt_ja: '湯呑みに淹れた深蒸し煎茶',
      },
    ],
  },
  {
    slug: 'uji-gyokuro',
    category: 'green-tea',
    name_ja: '宇治玉露',
    name_en: 'Uji Gyokuro',
    tax_rate: 8,
    description_md: md(`
      京都府南部・宇治田原町の茶園で、新芽が伸び始める頃から約20日間、よしずと藁で覆って日差しを遮りながら育てた玉露です。

      日光を抑えることで旨味のもとになるテアニンが茶葉にたっぷりと蓄えられ、「覆い香（おおいか）」と呼ばれる青海苔のような独特の香りと、とろりと濃厚な旨味が生まれます。特別な日のおもてなしや、ご自分へのご褒美にどうぞ。

      ### おすすめの淹れ方

      1. 小ぶりの急須に茶葉10gを入れます。
      2. 50〜60℃まで冷ましたお湯を60ml注ぎ、2分ほどじっくり待ちます。
      3. 小さな湯呑みに少しずつ注ぎ分け、一滴ずつ味わってください。

      > 三煎目までおいしく召し上がれます。淹れ終えた茶葉は、ポン酢をかけてお浸しのようにしてもおいしいですよ。

      ### 商品情報

      - 内容量：50g／100g
      - 原材料：緑茶（京都府産）
      - 賞味期限：製造日より12か月
      - 保存方法：${TEA_STORAGE}
    `),
    description_md_en: null,
    variants: [
      { sku: 'GT-GYO-50', name_ja: '50g', name_en: '50g', price_yen: 2160, stock: 45 },
      // 残りわずか: shows the low-stock badge.
      { sku: 'GT-GYO-100', name_ja: '100g', name_en: '100g', price_yen: 4104, stock: 3 },
    ],
    images: [
      {
        kind: 'pouch',
        palette: { bg: '#ece6d3', main: '#1f3d2c', dark: '#b8963e', light: '#f4eedc', accent: '#5c8f3a' },
        alt_ja: '宇治玉露の茶袋',
      },
      {
        kind: 'cup',
        palette: { bg: '#efe9d6', main: '#fbf8f0', dark: '#3b3b3b', light: '#c8a24a', accent: '#cfd77a' },
        alt_ja: '小ぶりの湯呑みに淹れた玉露',
      },
    ],
  },
  {
    slug: 'yame-matcha',
    category: 'green-tea',
    name_ja: '八女抹茶「翠」',
    name_en: 'Yame Matcha "Midori"',
    tax_rate: 8,
    description_md: md(`
      福岡県八女市の覆下茶園で育てた碾茶（てんちゃ）を、石臼でゆっくりと挽き上げた抹茶です。鮮やかな翠色と、苦みの少ないやわらかな甘みが特長で、お薄（薄茶）に向いています。

      茶道のお稽古はもちろん、抹茶ラテやお菓子づくりにも気兼ねなくお使いいただけます。

      ### おすすめの点て方（お薄）

      1. 茶碗をお湯で温めてから、茶こしでふるった抹茶を茶杓2杯（約2g）入れます。
      2. 80℃ほどのお湯を70ml注ぎます。
      3. 茶筅を手首で前後にすばやく振り、きめ細かな泡が立ったら「の」の字を描くように静かに引き上げます。

      ### 商品情報

      - 内容量：30g（缶入り）／100g（袋入り）
      - 原材料：緑茶（福岡県産）
      - 賞味期限：製造日より6か月
      - 保存方法：開封後は密閉して冷蔵庫で保存し、1か月を目安にお召し上がりください。冷蔵庫から出したときは、常温に戻してから開封してください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'GT-MAT-30', name_ja: '30g 缶入り', name_en: '30g tin', price_yen: 2376, stock: 60 },
      { sku: 'GT-MAT-100', name_ja: '100g 袋入り', name_en: '100g pouch', price_yen: 6480, stock: 25 },
    ],
    images: [
      {
        kind: 'tin',
        palette: { bg: '#e4efdc', main: '#2f5d3a', dark: '#1d3a24', light: '#f3f0e4', accent: '#7fb341' },
        alt_ja: '八女抹茶「翠」の缶',
      },
      {
        kind: 'bowl',
        palette: { bg: '#efe6d2', main: '#3a2f2a', dark: '#241c18', light: '#a89a86', accent: '#86b542' },
        alt_ja: '黒い茶碗に点てたお薄',
      },
    ],
  },
  {
    slug: 'matcha-genmaicha',
    category: 'green-tea',
    name_ja: '抹茶入り玄米茶',
    name_en: 'Genmaicha with Matcha',
    tax_rate: 8,
    description_md: md(`
      香ばしく炒った国産のもち米に、静岡県産の煎茶と八女抹茶をあわせました。ほっとする香ばしさと、抹茶のやわらかな旨味が広がります。

      熱湯でさっと淹れられるので、毎日の食事のお供や、ご家族みんなで楽しむお茶にぴったりです。

      ### おすすめの淹れ方

      - 急須で：茶葉大さじ2杯（約10g）に熱湯300mlを注ぎ、30秒ほど待ちます。
      - ティーバッグで：マグカップに1袋を入れ、熱湯200mlを注いで1分ほど待ちます。

      ### 商品情報

      - 内容量：200g／ティーバッグ 5g×20袋
      - 原材料：玄米（国産）、緑茶（静岡県産）、抹茶（福岡県産）
      - 賞味期限：製造日より10か月
      - 保存方法：${TEA_STORAGE}
    `),
    description_md_en: null,
    variants: [
      { sku: 'GT-GEN-200', name_ja: '200g', name_en: '200g', price_yen: 864, stock: 180 },
      { sku: 'GT-GEN-TB20', name_ja: 'ティーバッグ 20袋', name_en: '20 tea bags', price_yen: 756, stock: 120 },
    ],
    images: [
      {
        kind: 'pouch',
        palette: { bg: '#f3ead6', main: '#c79a55', dark: '#7b5a2c', light: '#fbf6ea', accent: '#6f9a3b' },
        alt_ja: '抹茶入り玄米茶の茶袋',
      },
      {
        kind: 'teabag',
        palette: { bg: '#f6eedb', main: '#8a6a3b', dark: '#8a6a3b', light: '#fffdf6', accent: '#6f9a3b' },
        alt_ja: '抹茶入り玄米茶のティーバッグ',
      },
    ],
  },

  // ── ほうじ茶・紅茶 ──────────────────────────────────────────────────────
  {
    slug: 'kaga-bo-hojicha',
    category: 'hojicha-black-tea',
    name_ja: '加賀棒ほうじ茶',
    name_en: 'Kaga Bō-hōjicha (roasted stem tea)',
    tax_rate: 8,
    description_md: md(`
      石川県の加賀地方で親しまれてきた、茶の茎だけを集めて焙じた「棒ほうじ茶」です。茎ならではのすっきりとした甘みと、焙じたての香ばしい香りが魅力です。

      苦みや渋みが少なく、カフェインも控えめなので、お食事中や夜のくつろぎの時間にもおすすめです。

      ### おすすめの淹れ方

      1. 急須に茶葉を大さじ2杯（約5g）入れます。
      2. 熱湯300mlを一気に注ぎ、30秒ほど待ちます。
      3. 香りが立っているうちにお召し上がりください。

      ### 商品情報

      - 内容量：100g／ティーバッグ 3g×15袋
      - 原材料：緑茶（茎茶・国産）
      - 賞味期限：製造日より10か月
      - 保存方法：${TEA_STORAGE}
    `),
    description_md_en: null,
    variants: [
      { sku: 'RT-HOJ-100', name_ja: '100g', name_en: '100g', price_yen: 972, stock: 140 },
      { sku: 'RT-HOJ-TB15', name_ja: 'ティーバッグ 15袋', name_en: '15 tea bags', price_yen: 648, stock: 90 },
    ],
    images: [
      {
        kind: 'pouch',
        palette: { bg: '#f0e3cf', main: '#7b4a2a', dark: '#4d2d18', light: '#f7efe2', accent: '#b5763c' },
        alt_ja: '加賀棒ほうじ茶の茶袋',
      },
      {
        kind: 'cup',
        palette: { bg: '#f1e4d0', main: '#efe6d6', dark: '#6b4a2f', light: '#a0522d', accent: '#a86b3c' },
        alt_ja: '湯呑みに淹れた琥珀色のほうじ茶',
      },
    ],
  },
  {
    slug: 'wakocha-benifuki',
    category: 'hojicha-black-tea',
    name_ja: '和紅茶 べにふうき',
    name_en: 'Japanese Black Tea "Benifuki"',
    tax_rate: 8,
    description_md: md(`
      静岡県川根本町の山あいの茶園で育った紅茶用品種「べにふうき」を、ていねいに発酵させて仕上げた国産紅茶（和紅茶）です。

      海外の紅茶に比べて渋みが穏やかで、蜜のような甘い香りとやさしいコクが特長。ストレートはもちろん、ミルクティーにもよく合います。

      ### おすすめの淹れ方

      1. 温めたティーポットに茶葉をティースプーン1杯（約3g）入れます。
      2. 沸騰したてのお湯を250ml注ぎ、ふたをして3分ほど蒸らします。
      3. ミルクティーにする場合は、茶葉を少し多めにして4分ほど蒸らしてください。

      ### 商品情報

      - 内容量：50g／ティーバッグ 2.5g×10袋
      - 原材料：紅茶（静岡県産）
      - 賞味期限：製造日より18か月
      - 保存方法：${TEA_STORAGE}
    `),
    description_md_en: md(`
      Black tea from the Benifuki cultivar, grown in the mountain gardens of Kawanehon, Shizuoka, and carefully oxidised in small batches.

      Japanese black tea (wakōcha) is gentler than most imported teas: little astringency, a honey-like aroma and a soft, round body. Lovely on its own and with milk.

      ### How to brew

      1. Put one teaspoon (about 3 g) of leaves in a warmed teapot.
      2. Pour 250 ml of freshly boiled water, cover and steep for about 3 minutes.
      3. For milk tea, use a little more tea and steep for 4 minutes.

      ### Details

      - Net weight: 50 g / 10 tea bags of 2.5 g
      - Ingredients: black tea (Shizuoka, Japan)
      - Best before: 18 months from production
      - Storage: keep away from heat, humidity and strong odours.
    `),
    variants: [
      { sku: 'RT-WKO-50', name_ja: '50g', name_en: '50g', price_yen: 1296, stock: 70 },
      { sku: 'RT-WKO-TB10', name_ja: 'ティーバッグ 10袋', name_en: '10 tea bags', price_yen: 864, stock: 85 },
    ],
    images: [
      {
        kind: 'pouch',
        palette: { bg: '#f5e1dc', main: '#8e2f2b', dark: '#5b1b19', light: '#fbf2ea', accent: '#c7723a' },
        alt_ja: '和紅茶べにふうきの茶袋',
      },
      {
        kind: 'teabag',
        palette: { bg: '#f7e6e1', main: '#7a3a28', dark: '#7a3a28', light: '#fffaf4', accent: '#b8342f' },
        alt_ja: '和紅茶べにふうきのティーバッグ',
      },
    ],
  },
  {
    slug: 'hojicha-latte-mix',
    category: 'hojicha-black-tea',
    name_ja: 'ほうじ茶ラテの素',
    name_en: 'Hōjicha Latte Mix',
    tax_rate: 8,
    description_md: md(`
      深煎りのほうじ茶パウダーに、北海道産のてんさい糖をあわせた、ほうじ茶ラテの素です。温めた牛乳に溶かすだけで、香ばしくてほっとする、お店のような一杯ができあがります。

      甘さは控えめにしていますので、お好みで量を加減してください。豆乳やオーツミルクとの相性も抜群です。

      ### おいしい作り方

      1. カップに大さじ2杯（約12g）を入れ、少量のお湯でよく溶かします。
      2. 温めた牛乳150mlを注ぎ、よく混ぜれば完成です。
      3. アイスラテにするときは、お湯で溶かしたあと、氷と冷たい牛乳を注いでください。

      ### 商品情報

      - 内容量：150g（約12杯分）
      - 原材料：砂糖（てんさい（北海道産））、ほうじ茶（国産）
      - 賞味期限：製造日より12か月
      - 保存方法：直射日光・高温多湿を避けて保存してください。開封後はチャックをしっかり閉めて、お早めにお召し上がりください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'RT-HLT-150', name_ja: '150g', name_en: '150g', price_yen: 1188, stock: 45 },
      { sku: 'RT-HLT-150X3', name_ja: '150g 3袋セット', name_en: 'Set of 3 (150g each)', price_yen: 3402, stock: 20 },
    ],
    images: [
      {
        kind: 'tin',
        palette: { bg: '#f1e6d6', main: '#a8744a', dark: '#5e3b22', light: '#fbf3e6', accent: '#d9a86c' },
        alt_ja: 'ほうじ茶ラテの素のパッケージ',
      },
    ],
  },

  // ── 和菓子 ──────────────────────────────────────────────────────────────
  {
    slug: 'ogura-yokan',
    category: 'wagashi',
    name_ja: '本練り小倉羊羹',
    name_en: 'Ogura Yōkan (red bean jelly)',
    tax_rate: 8,
    description_md: md(`
      北海道十勝産の小豆と寒天、砂糖だけを銅鍋でじっくりと練り上げた、昔ながらの本練り羊羹です。ふっくらと炊いた大納言小豆の粒を散りばめました。

      しっかりとした甘さとなめらかな口どけは、濃いめに淹れた緑茶やほうじ茶と相性抜群。日持ちがするので、贈り物にも喜ばれます。

      ### お召し上がり方

      1cmほどの厚さに切り分けて、お茶と一緒にどうぞ。少し冷やしてもおいしく召し上がれます。

      ### 商品情報

      - 内容量：1本 280g
      - 原材料：砂糖（国内製造）、小豆（北海道産）、寒天
      - 賞味期限：製造日より90日
      - 保存方法：直射日光・高温多湿を避けて常温で保存してください。開封後は冷蔵庫に入れ、お早めにお召し上がりください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'WG-YOK-1', name_ja: '1本', name_en: '1 bar', price_yen: 1620, stock: 80 },
      { sku: 'WG-YOK-3', name_ja: '3本入（化粧箱）', name_en: 'Gift box of 3', price_yen: 4644, stock: 30 },
    ],
    images: [
      {
        kind: 'yokan',
        palette: { bg: '#efe7da', main: '#3b1f1d', dark: '#241211', light: '#c9a24a', accent: '#5a2d29' },
        alt_ja: '帯紙を巻いた小倉羊羹',
      },
    ],
  },
  {
    slug: 'mamori-monaka',
    category: 'wagashi',
    name_ja: 'まもり最中',
    name_en: 'Mamori Monaka (bean paste wafers)',
    tax_rate: 8,
    description_md: md(`
      香ばしく焼き上げたもち米の皮に、自家製の粒あんと、ほうじ茶を練り込んだ「ほうじ茶あん」の2種類をご用意しました。梅の花をかたどった、まもり茶舗オリジナルの最中です。

      皮のサクッとした食感を楽しんでいただけるよう、あんは別添えにしています。召し上がる直前に、ご自分で挟んでお楽しみください。

      ### 商品情報

      - 内容量：5個入（粒あん3個・ほうじ茶あん2個）／10個入（粒あん5個・ほうじ茶あん5個）
      - 原材料：砂糖（国内製造）、小豆（北海道産）、もち米（国産）、水あめ、ほうじ茶、寒天
      - 賞味期限：製造日より30日
      - 保存方法：直射日光・高温多湿を避けて常温で保存してください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'WG-MNK-5', name_ja: '5個入', name_en: 'Box of 5', price_yen: 1188, stock: 55 },
      { sku: 'WG-MNK-10', name_ja: '10個入', name_en: 'Box of 10', price_yen: 2268, stock: 40 },
    ],
    images: [
      {
        kind: 'monaka',
        palette: { bg: '#f6e9e4', main: '#e2c089', dark: '#b78d52', light: '#fff5e8', accent: '#7a2f3a' },
        alt_ja: '梅の花の形をしたまもり最中',
      },
    ],
  },
  {
    slug: 'wasanbon-higashi',
    category: 'wagashi',
    name_ja: '和三盆の干菓子',
    name_en: 'Wasanbon Sugar Sweets (higashi)',
    tax_rate: 8,
    description_md: md(`
      香川県と徳島県に古くから伝わる製法でつくられる和三盆糖を、木型で季節の花の形に打ち出した干菓子です。口に入れるとすっと溶け、上品でやさしい甘さが広がります。

      お抹茶のお供はもちろん、ちょっとしたお礼や手土産にも。淡い色合いの小さな花が、箱を開けた瞬間から目を楽しませてくれます。

      ### 商品情報

      - 内容量：12粒入／30粒入
      - 原材料：和三盆糖（香川県製造）／着色料（紅麹、クチナシ）
      - 賞味期限：製造日より60日
      - 保存方法：湿気に弱いため、開封後は密閉容器に入れて保存してください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'WG-WSB-12', name_ja: '12粒入', name_en: 'Box of 12', price_yen: 864, stock: 90 },
      { sku: 'WG-WSB-30', name_ja: '30粒入', name_en: 'Box of 30', price_yen: 1944, stock: 25 },
    ],
    images: [
      {
        kind: 'wasanbon',
        palette: { bg: '#eef0d8', main: '#2b2424', dark: '#8c2a2a', light: '#fffaf0', accent: '#f2b8c6' },
        alt_ja: '漆の盆に並べた花形の和三盆',
      },
    ],
  },
  {
    slug: 'dorayaki',
    category: 'wagashi',
    name_ja: 'ふんわりどら焼き',
    name_en: 'Dorayaki (red bean pancakes)',
    tax_rate: 8,
    description_md: md(`
      国産小麦粉と平飼い卵、はちみつを使った生地を一枚ずつ手焼きし、北海道産小豆の粒あんをたっぷり挟みました。ふんわり、しっとりとした生地が自慢です。

      焼き印は、まもり茶舗の「ま」の字。お子さまからご年配の方まで、どなたにも喜ばれる定番のおやつです。

      ### 商品情報

      - 内容量：5個入／10個入
      - 原材料：粒あん（国内製造）（砂糖、小豆）、鶏卵、小麦粉、砂糖、はちみつ、水あめ／膨張剤
      - アレルギー物質：卵・小麦
      - 賞味期限：製造日より8日
      - 保存方法：直射日光・高温多湿を避けて常温で保存してください。
    `),
    description_md_en: null,
    variants: [
      { sku: 'WG-DRY-5', name_ja: '5個入', name_en: 'Box of 5', price_yen: 1350, stock: 35 },
      // 在庫切れ: shows the sold-out state.
      { sku: 'WG-DRY-10', name_ja: '10個入', name_en: 'Box of 10', price_yen: 2592, stock: 0 },
    ],
    images: [
      {
        kind: 'dorayaki',
        palette: { bg: '#fbefd9', main: '#8a4f22', dark: '#4d2a12', light: '#e9b872', accent: '#4a1f1c' },
        alt_ja: '焼き色のついたどら焼き',
      },
    ],
  },

  // ── 茶器 ────────────────────────────────────────────────────────────────
  {
    slug: 'tokoname-kyusu',
    category: 'teaware',
    name_ja: '常滑焼 横手急須',
    name_en: 'Tokoname Kyūsu (side-handle teapot)',
    tax_rate: 10,
    description_md: md(`
      愛知県常滑市の窯元で、職人がろくろで一つずつ挽き上げた横手急須です。茶こしは本体と一体になった陶製の「ささめ」。細かな穴が茶葉をしっかり受け止め、深蒸し茶も最後の一滴まで気持ちよく注げます。

      釉薬をかけずに焼き締め、土の色をそのまま生かした白と黒の2色をご用意しました。使い込むほどに艶が増し、手になじんでいきます。

      ### サイズ・仕様

      - 容量：約300ml（2〜3人用）
      - サイズ：幅約15cm × 奥行約10cm × 高さ約9cm（持ち手含む）
      - 素材：陶器（常滑焼）

      ### ご使用上の注意

      - 直火、電子レンジ、食器洗い乾燥機ではご使用いただけません。
      - 手づくりのため、色味や形に一つずつ個体差があります。
    `),
    description_md_en: md(`
      A side-handle teapot thrown on the wheel, one at a time, by a potter in Tokoname, Aichi. The built-in ceramic strainer (sasame) catches even the fine leaves of deep-steamed sencha, so every last drop pours cleanly.

      Unglazed and fired in white or black clay, it gains a soft sheen the more you use it.

      ### Details

      - Capacity: about 300 ml (2–3 cups)
      - Size: approx. W 15 × D 10 × H 9 cm (including handle)
      - Material: stoneware (Tokoname ware)
      - Not for use on an open flame, in a microwave or in a dishwasher.
      - Handmade: colour and shape vary slightly from piece to piece.
    `),
    variants: [
      { sku: 'TW-KYU-WH', name_ja: '白', name_en: 'White', price_yen: 6600, stock: 24 },
      { sku: 'TW-KYU-BK', name_ja: '黒', name_en: 'Black', price_yen: 6600, stock: 20 },
    ],
    images: [
      {
        kind: 'teapot',
        palette: { bg: '#2f4858', main: '#f1ede4', dark: '#c4bcad', light: '#5c7a8a', accent: '#b9ad98' },
        alt_ja: '常滑焼 横手急須（白）',
      },
      {
        kind: 'teapot',
        palette: { bg: '#eadfca', main: '#2e2b29', dark: '#151312', light: '#fbf6ea', accent: '#6b5a48' },
        alt_ja: '常滑焼 横手急須（黒）',
      },
    ],
  },
  {
    slug: 'mino-yunomi',
    category: 'teaware',
    name_ja: '美濃焼 湯呑み',
    name_en: 'Mino-ware Yunomi (teacup)',
    tax_rate: 10,
    description_md: md(`
      岐阜県東濃地方の窯元でつくられた、手になじむ湯呑みです。厚みのある胴が熱を伝えにくく、熱いお茶もしっかりと持てます。

      深い藍色の釉薬をかけた「藍」と、やわらかな黄色の「黄瀬戸」の2色展開。ご夫婦やご友人への贈り物には、2色を化粧箱に収めたペアセットがおすすめです。

      ### サイズ・仕様

      - 容量：約200ml
      - サイズ：口径約8cm × 高さ約8.5cm
      - 素材：陶器（美濃焼）
      - 電子レンジ・食器洗い乾燥機：使用可
    `),
    description_md_en: null,
    variants: [
      { sku: 'TW-YNM-AI', name_ja: '藍', name_en: 'Indigo', price_yen: 1980, stock: 50 },
      { sku: 'TW-YNM-KI', name_ja: '黄瀬戸', name_en: 'Kiseto yellow', price_yen: 1980, stock: 45 },
      {
        sku: 'TW-YNM-PAIR',
        name_ja: 'ペアセット（藍・黄瀬戸／化粧箱入り）',
        name_en: 'Pair set (indigo & kiseto, gift box)',
        price_yen: 4180,
        stock: 20,
      },
    ],
    images: [
      {
        kind: 'cup',
        palette: { bg: '#e9eef3', main: '#2d4a7a', dark: '#a47a52', light: '#d7e0ea', accent: '#9bbf3f' },
        alt_ja: '美濃焼 湯呑み（藍）',
      },
      {
        kind: 'cup',
        palette: { bg: '#f4efe0', main: '#d9b657', dark: '#7a5532', light: '#5f8a55', accent: '#9bbf3f' },
        alt_ja: '美濃焼 湯呑み（黄瀬戸）',
      },
    ],
  },
  {
    slug: 'takayama-chasen',
    category: 'teaware',
    name_ja: '高山茶筌 八十本立',
    name_en: 'Takayama Chasen (bamboo whisk, 80 tines)',
    tax_rate: 10,
    description_md: md(`
      奈良県生駒市高山町で五百年以上受け継がれてきた技により、一本の竹から削り出した茶筌です。穂の数がおよそ八十本の「八十本立」は、お薄を点てやすく、はじめての一本にもおすすめです。

      きめ細かな泡がすっと立ち、抹茶本来のまろやかな味わいを引き出します。

      ### お手入れ

      - 使う前に、穂先をぬるま湯に数分浸してやわらかくしてください。
      - 使用後は水かぬるま湯ですすぎ、洗剤は使わずに、穂先を下に向けて風通しのよい日陰で乾かします。
      - くせ直しに挿して乾かすと、穂先の形が長持ちします。

      ### サイズ・仕様

      - サイズ：高さ約11cm
      - 素材：白竹
      - 産地：奈良県生駒市高山町
    `),
    description_md_en: null,
    variants: [
      { sku: 'TW-CHS-80', name_ja: '茶筌のみ', name_en: 'Whisk only', price_yen: 3300, stock: 30 },
      { sku: 'TW-CHS-80-SET', name_ja: 'くせ直し付き', name_en: 'With whisk holder', price_yen: 4400, stock: 15 },
    ],
    images: [
      {
        kind: 'chasen',
        palette: { bg: '#eef0e4', main: '#c9a86a', dark: '#8d6d3a', light: '#efe0bd', accent: '#2b2b2b' },
        alt_ja: '穂先を上にして立てた茶筌',
      },
      {
        kind: 'bowl',
        palette: { bg: '#e8eee2', main: '#c9a46b', dark: '#8a6238', light: '#f2e6cc', accent: '#7fb341' },
        alt_ja: '飴色の茶碗に点てた抹茶',
      },
    ],
  },
];

/** Media file name (no directory) of the n-th (0-based) picture of a demo product. */
export function demoImageFile(productSlug: string, index: number): string {
  return `demo-${productSlug}-${index + 1}.svg`;
}
