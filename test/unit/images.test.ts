import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import {
  IMAGE_LIMITS, ImageRejected, isSafeMediaName, reencodeImage, removeImageFile, sniffImageFormat, storeImage,
} from '../../src/catalog/images.js';

/** A picture with some texture (so encoders have something to do), optionally with EXIF. */
async function picture(format: 'jpeg' | 'png' | 'webp', opts: { width?: number; height?: number; exif?: boolean; orientation?: number } = {}): Promise<Buffer> {
  const width = opts.width ?? 320;
  const height = opts.height ?? 200;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919 + (i >> 5)) % 251;
  let img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (opts.exif || opts.orientation) {
    img = img.withMetadata({
      ...(opts.orientation ? { orientation: opts.orientation } : {}),
      exif: { IFD0: { Artist: 'Secret Photographer', Copyright: 'GPS 35.6812N 139.7671E' } },
    });
  }
  return img.toFormat(format).toBuffer();
}

async function rejection(p: Promise<unknown>): Promise<ImageRejected> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ImageRejected, `expected ImageRejected, got ${String(err)}`);
    assert.match(err.message, /[ぁ-んァ-ヶ一-龠]/, 'the message is Japanese');
    return err;
  }
  assert.fail('expected the image to be refused');
}

describe('image content sniffing', () => {
  test('JPEG, PNG and WebP are recognised by their first bytes', async () => {
    assert.equal(sniffImageFormat(await picture('jpeg')), 'jpeg');
    assert.equal(sniffImageFormat(await picture('png')), 'png');
    assert.equal(sniffImageFormat(await picture('webp')), 'webp');
  });

  test('anything else is not an image, whatever it is called', () => {
    const samples = [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      '<!doctype html><html><body><script>alert(1)</script></body></html>',
      'GIF89a\x01\x00\x01\x00',
      '%PDF-1.7',
      'RIFF\x00\x00\x00\x00WAVEfmt ',
      '\x89PNG', // too short to be the signature
      '',
    ];
    for (const s of samples) assert.equal(sniffImageFormat(Buffer.from(s, 'latin1')), null, JSON.stringify(s));
  });
});

describe('image re-encoding', () => {
  test('a JPEG with EXIF comes out as WebP without any metadata, turned upright', async () => {
    const input = await picture('jpeg', { width: 320, height: 200, orientation: 6 });
    const before = await sharp(input).metadata();
    assert.ok(before.exif && before.exif.length > 0, 'the test input carries EXIF');
    assert.equal(before.orientation, 6);
    const out = await reencodeImage(input);
    assert.equal(out.sourceFormat, 'jpeg');
    const meta = await sharp(out.data).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(meta.exif, undefined);
    assert.equal(meta.xmp, undefined);
    assert.equal(meta.icc, undefined);
    assert.equal(meta.iptc, undefined);
    assert.equal(meta.orientation, undefined);
    // Orientation 6 = rotate 90°: the stored picture is portrait.
    assert.equal(meta.width, 200);
    assert.equal(meta.height, 320);
    assert.ok(!out.data.includes(Buffer.from('Secret Photographer')));
  });

  test('PNG and WebP are accepted and re-encoded', async () => {
    for (const f of ['png', 'webp'] as const) {
      const out = await reencodeImage(await picture(f, { exif: true }));
      assert.equal(out.sourceFormat, f);
      const meta = await sharp(out.data).metadata();
      assert.equal(meta.format, 'webp');
      assert.equal(meta.exif, undefined);
    }
  });

  test('large pictures are scaled to the longest side limit', async () => {
    const out = await reencodeImage(await picture('png', { width: 2400, height: 1200 }));
    assert.equal(out.width, 1600);
    assert.equal(out.height, 800);
    const small = await reencodeImage(await picture('png', { width: 100, height: 50 }));
    assert.equal(small.width, 100, 'small pictures are not enlarged');
  });

  test('HTML or SVG named like an image, and a polyglot, are refused', async () => {
    assert.equal((await rejection(reencodeImage(Buffer.from('<html><script>alert(1)</script></html>')))).problem, 'not_image');
    assert.equal((await rejection(reencodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')))).problem, 'not_image');
    const png = await picture('png');
    // PNG signature followed by a page: the decoder refuses it.
    const polyglot = Buffer.concat([png.subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]);
    assert.equal((await rejection(reencodeImage(polyglot))).problem, 'broken');
  });

  test('a payload hidden inside a valid PNG does not survive re-encoding', async () => {
    const png = await picture('png');
    // A tEXt chunk with a script, before IEND (CRC is not checked by every decoder; either outcome is safe).
    const payload = Buffer.from('<script>alert(document.cookie)</script>');
    const withPayload = Buffer.concat([png.subarray(0, png.length - 12), payload, png.subarray(png.length - 12)]);
    try {
      const out = await reencodeImage(withPayload);
      assert.ok(!out.data.includes(payload));
    } catch (err) {
      assert.ok(err instanceof ImageRejected);
    }
  });

  test('truncated files are refused', async () => {
    for (const f of ['png', 'jpeg', 'webp'] as const) {
      const full = await picture(f);
      const err = await rejection(reencodeImage(full.subarray(0, Math.floor(full.length / 2))));
      assert.equal(err.problem, 'broken', f);
    }
  });

  test('size, emptiness and pixel count are limited', async () => {
    assert.equal((await rejection(reencodeImage(Buffer.alloc(0)))).problem, 'empty');
    const big = Buffer.concat([await picture('png'), Buffer.alloc(IMAGE_LIMITS.maxBytes)]);
    assert.equal((await rejection(reencodeImage(big))).problem, 'too_large');
    // A small file that decodes to 100 megapixels (decompression bomb).
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: 'white' } }).png().toBuffer();
    assert.ok(bomb.length < IMAGE_LIMITS.maxBytes);
    assert.equal((await rejection(reencodeImage(bomb))).problem, 'too_many_pixels');
  });
});

describe('image storage', () => {
  test('stored under a random name in the media directory; removal stays inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-media-'));
    try {
      const out = await reencodeImage(await picture('jpeg'));
      const a = await storeImage(dir, out);
      const b = await storeImage(dir, out);
      assert.notEqual(a, b);
      assert.match(a, /^p-[0-9a-f]{32}\.webp$/);
      assert.deepEqual(readFileSync(join(dir, a)), out.data);
      assert.deepEqual(readdirSync(dir).sort(), [a, b].sort(), 'no temporary files are left behind');
      await removeImageFile(dir, a);
      await removeImageFile(dir, '../etc/passwd');
      assert.deepEqual(readdirSync(dir), [b]);
      assert.equal(isSafeMediaName('../x.webp'), false);
      assert.equal(isSafeMediaName('.hidden'), false);
      assert.equal(isSafeMediaName('a/b.webp'), false);
      assert.equal(isSafeMediaName('fukamushi-sencha-0.svg'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
