import { formatDateJa } from '../shared/time.js';
import { reportDeadlines, type IsoDate } from './deadlines.js';
import { KNOWN_VIA_JA, TIMELINE_JA, type IncidentFacts, type NoticeProgress, type ScopeCounts, type ShopFacts, type TimelineEvent } from './model.js';

/**
 * Drafts of the documents an incident needs, as Markdown (the admin shows them, staff edit them,
 * `documentPdf` prints them). Pure functions of the incident's facts and its scope snapshot: the
 * numbers always come from the shop's own records, never typed by hand.
 */

const n = (v: number): string => v.toLocaleString('ja-JP');
/** `2024-07-17` → `2024年7月17日` (the weekday is left out in formal documents). */
const day = (d: IsoDate): string => formatDateJa(d).replace(/\(.\)$/, '');
const span = (w: { from: IsoDate; to: IsoDate }): string => `${day(w.from)}〜${day(w.to)}`;

export const CARD_ITEMS = ['クレジットカード番号', '有効期限', 'セキュリティコード'];
export const ORDERER_ITEMS = ['氏名', '住所', 'メールアドレス', '電話番号', 'FAX番号'];
export const RECIPIENT_ITEMS = ['氏名', '住所', '電話番号'];

function timelineOf(facts: IncidentFacts, kind: TimelineEvent['kind']): TimelineEvent | undefined {
  return [...facts.timeline].sort((a, b) => a.on.localeCompare(b.on)).find((e) => e.kind === kind);
}

function casesText(facts: IncidentFacts, scope: ScopeCounts): string[] {
  const lines: string[] = [];
  if (facts.cases.sensitive) lines.push('要配慮個人情報が含まれる個人データの漏えい等（規則第7条第1号）');
  if (facts.cases.financialDamage) lines.push('不正に利用されることにより財産的被害が生じるおそれがある個人データの漏えい等（同条第2号）');
  if (facts.cases.unlawfulPurpose) lines.push('不正の目的をもって行われたおそれがある個人データの漏えい等（同条第3号。当社のウェブサイトの入力フォームを通じて第三者に取得されたおそれを含む）');
  if (facts.cases.over1000 || scope.total.persons > 1000) lines.push(`個人データに係る本人の数が1,000人を超える漏えい等（同条第4号。${n(scope.total.persons)}人）`);
  return lines;
}

function exposedItems(facts: IncidentFacts, scope: ScopeCounts): string[] {
  const out: string[] = [];
  if (facts.windows.card && scope.card.persons > 0) {
    out.push(`クレジットカード情報（${CARD_ITEMS.join('、')}）— ${span(facts.windows.card)}にクレジットカード決済の画面で入力されたもの`);
  }
  if (facts.windows.personal && scope.personal.persons > 0) {
    out.push(`注文者・会員登録情報（${ORDERER_ITEMS.join('、')}）— ${span(facts.windows.personal)}に登録・更新・注文されたもの`);
  }
  if (facts.windows.personal && scope.recipients.persons > 0) {
    out.push(`配送先情報（${RECIPIENT_ITEMS.join('、')}）— 同期間の注文の配送先`);
  }
  return out;
}

function noticeStatus(progress: NoticeProgress | null, scope: ScopeCounts): string {
  if (!progress || progress.emailSent + progress.emailQueued + progress.lettersGenerated + progress.lettersPosted === 0) {
    return `対象となるご本人${n(scope.total.persons)}人（うち配送先${n(scope.recipients.persons)}人）への個別の通知を準備中。`;
  }
  return [
    `電子メールによる通知: 送信済み${n(progress.emailSent)}件、送信待ち${n(progress.emailQueued)}件、不達${n(progress.bounced)}件。`,
    `書状による通知（メール不達・メールアドレスのない方・配送先の方）: 作成${n(progress.lettersGenerated)}件、発送${n(progress.lettersPosted)}件。`,
  ].join('\n');
}

export type PpcReportKind = 'preliminary' | 'final';

/**
 * The report to the PPC: every item of 施行規則第8条第1項. The 速報 gives what is known at the
 * time (items not yet known are marked as such); the 確報 gives all of them.
 */
export function ppcReportDraft(kind: PpcReportKind, facts: IncidentFacts, scope: ScopeCounts, shop: ShopFacts, progress: NoticeProgress | null, today: IsoDate): string {
  const deadlines = reportDeadlines(facts.knownOn, { unlawfulPurpose: facts.cases.unlawfulPurpose });
  const title = kind === 'preliminary' ? '速報' : '確報';
  const unknown = kind === 'preliminary' ? '（調査中。確報にて報告する。）' : '';
  const forensicsDone = timelineOf(facts, 'forensics_finished');
  const publicNotice = timelineOf(facts, 'public_notice');
  const suspended = timelineOf(facts, 'card_payments_suspended');
  const police = timelineOf(facts, 'police_report');
  const items = exposedItems(facts, scope);
  const cases = casesText(facts, scope);
  const lines = [
    `# 個人データの漏えい等の報告（${title}）`,
    '',
    `- 報告日: ${day(today)}`,
    `- 報告者: ${shop.company}（代表者 ${shop.representative}）`,
    `- 所在地: 〒${shop.postalCode} ${shop.address}`,
    `- 連絡先: ${shop.phone} / ${shop.email}`,
    `- 事案番号: ${facts.number}`,
    `- 確報の期限: ${day(deadlines.final.due)}（事態を知った日 ${day(facts.knownOn)} を1日目として${deadlines.final.days}日${deadlines.final.due !== deadlines.final.nominal ? '、行政機関の休日に当たるため翌執務日' : ''}）`,
    '',
    '## 報告対象となる事態（規則第7条）',
    ...(cases.length ? cases.map((c) => `- ${c}`) : ['- （該当する号を選択してください）']),
    '',
    '## 1. 概要',
    `${day(facts.knownOn)}、${KNOWN_VIA_JA[facts.knownVia]}により、当社が運営する「${shop.shopName}」（${shop.url}）において個人データの漏えい等が発生したおそれがあることを把握した。${facts.knownDetail}`,
    ...(suspended ? [`${day(suspended.on)}、同サイトでのクレジットカード決済を停止した。`] : []),
    forensicsDone
      ? `${day(forensicsDone.on)}、第三者調査機関による調査が完了し、漏えいのおそれのある期間を特定した。`
      : `第三者調査機関による調査を実施中。${unknown}`,
    '',
    '## 2. 漏えい等が発生し、又は発生したおそれがある個人データの項目',
    ...(items.length ? items.map((i) => `- ${i}`) : [`- ${unknown || '（対象期間が設定されていません）'}`]),
    '',
    '## 3. 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数',
    `- クレジットカード情報: ${n(scope.card.persons)}人（決済試行${n(scope.card.payments)}件）`,
    `- 注文者・会員登録情報: ${n(scope.personal.persons)}人`,
    `- 配送先情報（第三者）: ${n(scope.recipients.persons)}人`,
    `- 合計（重複を除く。配送先を含む）: ${n(scope.total.persons)}人`,
    `- 算定方法: 当社の注文・会員記録（移行前の履歴を含む）から、上記の期間（日本時間の暦日、両端を含む）に該当する記録を本人単位で名寄せして算出（スコープ第${scope.snapshot ?? '—'}版）。`,
    '',
    '## 4. 原因',
    facts.cause ? facts.cause : `調査中。${unknown}`,
    '',
    '## 5. 二次被害又はそのおそれの有無及びその内容',
    facts.secondaryDamage ? facts.secondaryDamage : `調査中。${unknown}`,
    '',
    '## 6. 本人への対応の実施状況',
    noticeStatus(progress, scope),
    ...(facts.cardReissueFree ? ['クレジットカードの再発行手数料をご本人の負担としないよう、カード会社に依頼済み。'] : []),
    'お問い合わせ窓口を設置: ' + `${shop.phone}（${shop.hours}）、${shop.email}`,
    '',
    '## 7. 公表の実施状況',
    publicNotice ? `${day(publicNotice.on)}、当社ウェブサイトにて公表。` : '未実施（公表の準備中）。',
    '',
    '## 8. 再発防止のための措置',
    facts.measures ? facts.measures : `検討中。${unknown}`,
    '',
    '## 9. その他参考となる事項',
    ...(police ? [`${day(police.on)}、所轄警察署に被害申告済み。`] : []),
    facts.otherNotes || '特になし。',
    '',
    '## 経緯',
    ...[...facts.timeline].sort((a, b) => a.on.localeCompare(b.on)).map((e) => `- ${day(e.on)} ${TIMELINE_JA[e.kind]}${e.note ? `: ${e.note}` : ''}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The public notice (お詫びとお知らせ) with the structure of the seed's notice: 経緯, 漏洩状況
 * (原因 / 対象と件数 / 項目), お客様へのお願い, 再発防止策, 報告状況, 問い合わせ窓口. Recipients
 * (shipping destinations of other people) are counted separately.
 */
export function publicNoticeDraft(facts: IncidentFacts, scope: ScopeCounts, shop: ShopFacts, date: IsoDate): string {
  const suspended = timelineOf(facts, 'card_payments_suspended');
  const forensicsDone = timelineOf(facts, 'forensics_finished');
  const police = timelineOf(facts, 'police_report');
  const ppc = timelineOf(facts, 'ppc_final') ?? timelineOf(facts, 'ppc_preliminary');
  const card = facts.windows.card && scope.card.persons > 0 ? facts.windows.card : null;
  const personal = facts.windows.personal && scope.personal.persons + scope.recipients.persons > 0 ? facts.windows.personal : null;
  const summary = [
    card ? `お客様のクレジットカード情報（${n(scope.card.persons)}件）` : null,
    personal ? `個人情報（${n(scope.personal.persons)}件${scope.recipients.persons ? `、ほかにお届け先の情報${n(scope.recipients.persons)}件` : ''}）` : null,
  ].filter(Boolean).join('、および');
  const lines = [
    `# 弊社が運営する「${shop.shopName}」における個人情報漏えいに関するお詫びとお知らせ`,
    '',
    `${day(date)}`,
    `${shop.company}`,
    '',
    `このたび、弊社が運営する「${shop.shopName}」におきまして、第三者による不正アクセスを受け、${summary}が漏洩した可能性があることが判明いたしました。`,
    '',
    'お客様をはじめ、関係者の皆様に多大なるご迷惑およびご心配をおかけする事態となりましたこと、深くお詫び申し上げます。',
    '',
    'なお、対象となるお客様には、本日より、電子メールにてお詫びとお知らせを個別にご連絡申し上げております。電子メールがお届けできなかったお客様、メールアドレスのご登録のないお客様、およびお届け先としてご登録いただいた方には、書状にてご連絡させていただきます。',
    '',
    '記',
    '',
    '## 1. 経緯',
    [
      `${day(facts.knownOn)}、${KNOWN_VIA_JA[facts.knownVia]}により、本件の可能性を把握いたしました。`,
      suspended ? `${day(suspended.on)}、「${shop.shopName}」でのクレジットカード決済を停止いたしました。` : '',
      forensicsDone ? `その後、第三者調査機関による調査を行い、${day(forensicsDone.on)}に調査が完了いたしました。` : '',
      card ? `${span(card)}の期間に「${shop.shopName}」でクレジットカード決済の画面に入力されたクレジットカード情報が漏洩した可能性があることを確認いたしました。` : '',
      personal ? `また、${span(personal)}の期間に「${shop.shopName}」で入力された個人情報が漏洩した可能性があることも確認されました。` : '',
      '以上の事実が確認できたため、本日の発表に至りました。',
    ].filter(Boolean).join('\n'),
    '',
    '## 2. 個人情報漏洩状況',
    '### (1) 原因',
    facts.cause || '（調査結果に基づき記載）',
    '',
  ];
  let section = 2;
  if (card) {
    lines.push(
      `### (${section++}) クレジットカード情報漏洩の可能性があるお客様`,
      `${span(card)}の期間中に「${shop.shopName}」においてクレジットカード決済をされた（決済が完了しなかった場合を含む）お客様${n(scope.card.persons)}名で、漏洩した可能性のある情報は以下のとおりです。`,
      ...CARD_ITEMS.map((i) => `- ${i}`),
      '',
    );
  }
  if (personal) {
    lines.push(
      `### (${section++}) 個人情報漏洩の可能性があるお客様`,
      `${span(personal)}の期間中に「${shop.shopName}」で個人情報を入力されたお客様${n(scope.personal.persons)}名で、漏洩した可能性のある情報は以下のとおりです。`,
      '',
      '注文者、会員登録情報として',
      ...ORDERER_ITEMS.map((i) => `- ${i}`),
      '',
    );
    if (scope.recipients.persons > 0) {
      lines.push(
        `また、同期間のご注文のお届け先としてご登録いただいた${n(scope.recipients.persons)}名の方の以下の情報が漏洩した可能性があります。`,
        ...RECIPIENT_ITEMS.map((i) => `- ${i}`),
        '',
      );
    }
  }
  lines.push(
    '## 3. お客様へのお願い',
    card
      ? '既に弊社は、クレジットカード会社と連携し、漏洩した可能性のあるクレジットカードによる取引のモニタリングを継続して実施し、不正利用の防止に努めております。お客様におかれましても、誠に恐縮ではございますが、クレジットカードのご利用明細書に身に覚えのない請求項目の記載があった場合は、同クレジットカードの裏面に記載のカード会社にお問い合わせいただきますよう、お願い申し上げます。'
      : '',
    facts.cardReissueFree ? 'なお、お客様がクレジットカードの差し替えをご希望される場合、再発行の手数料につきましてはお客様にご負担をお掛けしないよう、弊社よりカード会社に依頼しております。' : '',
    'また、弊社を装った不審なメールや電話にご注意ください。弊社からのご連絡で、クレジットカード番号やパスワードをお尋ねしたり、リンク先での入力をお願いしたりすることはございません。',
    '',
    '## 4. 再発防止策',
    facts.measures || '弊社はこのたびの事態を厳粛に受け止め、調査結果を踏まえてシステムのセキュリティ対策および監視体制の強化を行い、再発防止を図ってまいります。',
    '',
    '## 5. 報告状況',
    [
      ppc ? `監督官庁である個人情報保護委員会には${day(ppc.on)}に報告済みです。` : '監督官庁である個人情報保護委員会に報告いたします。',
      police ? `また、所轄警察署にも${day(police.on)}に被害申告しており、今後捜査にも全面的に協力してまいります。` : '',
    ].filter(Boolean).join(''),
    '',
    '## 6. 本件に関するお問い合わせ窓口',
    `${shop.company} お客様相談窓口`,
    `- 電話: ${shop.phone}（${shop.hours}）`,
    `- メール: ${shop.email}`,
    '',
    '以上',
  );
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n') + '\n';
}
