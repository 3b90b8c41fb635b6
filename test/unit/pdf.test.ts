import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPdf, mm, pdfToBuffer } from '../../src/shared/pdf.js';
import { pdfPages, pdfText } from '../helpers/pdf.js';

test('a PDF carries Japanese text in an embedded font, page by page', async () => {
  const doc = createPdf({ title: 'テスト' });
  doc.fontSize(12).text('〒100-0001 東京都千代田区千代田1-1', mm(20), mm(40));
  doc.addPage();
  doc.font('jp-bold').text('お詫びとお知らせ 山田 太郎 様');
  const pdf = await pdfToBuffer(doc);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.equal(pdfPages(pdf), 2);
  const text = pdfText(pdf);
  assert.match(text, /東京都千代田区千代田1-1/);
  assert.match(text, /お詫びとお知らせ 山田 太郎 様/);
  // The font is embedded (subset), not referenced by name only.
  assert.match(pdf.toString('latin1'), /FontFile2/);
});
