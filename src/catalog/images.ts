import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Metadata } from 'sharp';

/**
 * Product images uploaded in the admin console. Nothing the browser says is trusted: the file name
 * and the declared type are ignored, the format is recognised from the first bytes, the picture is
 * decoded and encoded again (so only pixels survive: no EXIF, GPS, ICC, comments, trailing data or
 * polyglot payload), and stored under a random name in the media directory, outside any code path.
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface ImageLimits {
  /** Upload size in bytes. */
  maxBytes: number;
  /** Width × height of the decoded picture (a small file can decode to gigabytes). */
  maxPixels: number;
  /** The longest side of the stored picture; larger pictures are scaled down. */
  maxSide: number;
}

export const IMAGE_LIMITS: ImageLimits = { maxBytes: 5 * 1024 * 1024, maxPixels: 40_000_000, maxSide: 1600 };

export type ImageProblem = 'empty' | 'too_large' | 'not_image' | 'too_many_pixels' | 'broken';

const MESSAGES: Record<ImageProblem, (l: ImageLimits) => string> = {
  empty: () => '画像ファイルを選択してください。',
  too_large: (l) => `ファイルが大きすぎます。${Math.floor(l.maxBytes / 1024 / 1024)}MB以下の画像を選択してください。`,
  not_image: () => 'JPEG・PNG・WebP形式の画像のみアップロードできます（SVG・HTMLなどは受け付けません）。',
  too_many_pixels: (l) => `画像の画素数が大きすぎます（${Math.floor(l.maxPixels / 1_000_000)}メガピクセルまで）。`,
  broken: () => '画像を読み取れませんでした。ファイルが壊れているか、途中までしかありません。',
};

export class ImageRejected extends Error {
  constructor(
    readonly problem: ImageProblem,
    limits: ImageLimits = IMAGE_LIMITS,
  ) {
    super(MESSAGES[problem](limits));
    this.name = 'ImageRejected';
  }
}

/** The format from the magic bytes alone; null for anything else (SVG, HTML, GIF, text …). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, s: string) => [...s].every((ch, i) => at(from + i) === ch.charCodeAt(0));
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => at(i) === b)) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP') && bytes.length >= 16) return 'webp';
  return null;
}

export interface ReencodedImage {
  data: Buffer;
  /** What was uploaded (sniffed). */
  sourceFormat: ImageFormat;
  /** What is stored: always WebP. */
  format: 'webp';
  ext: 'webp';
  width: number;
  height: number;
}

/**
 * Checks and re-encodes an upload: size, magic bytes, the decoder's own idea of the format,
 * pixel count, then a full decode (a truncated file fails here) turned upright per EXIF,
 * scaled to at most `maxSide`, written as WebP without any metadata.
 */
export async function reencodeImage(input: Buffer, limits: ImageLimits = IMAGE_LIMITS): Promise<ReencodedImage> {
  if (input.length === 0) throw new ImageRejected('empty', limits);
  if (input.length > limits.maxBytes) throw new ImageRejected('too_large', limits);
  const sourceFormat = sniffImageFormat(input);
  if (!sourceFormat) throw new ImageRejected('not_image', limits);

  let meta: Metadata;
  try {
    meta = await sharp(input, { failOn: 'warning', limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRejected('broken', limits);
  }
  // The decoder must agree with the magic bytes: no other loader (SVG, PDF, TIFF …) ever runs.
  if (meta.format !== sourceFormat) throw new ImageRejected('not_image', limits);
  if (!meta.width || !meta.height) throw new ImageRejected('broken', limits);
  if (meta.width * meta.height > limits.maxPixels) throw new ImageRejected('too_many_pixels', limits);

  try {
    const { data, info } = await sharp(input, { failOn: 'warning', limitInputPixels: limits.maxPixels, autoOrient: true, pages: 1 })
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
      // No withMetadata/keepMetadata: sharp writes pixels only (sRGB, no EXIF/XMP/ICC/IPTC).
      .webp({ quality: 82, effort: 4 })
      .toBuffer({ resolveWithObject: true });
    return { data, sourceFormat, format: 'webp', ext: 'webp', width: info.width, height: info.height };
  } catch {
    throw new ImageRejected('broken', limits);
  }
}

/** A fresh, unguessable file name; the uploaded name is never used. */
export function randomImageName(ext: string): string {
  return `p-${randomBytes(16).toString('hex')}.${ext}`;
}

/** File names the media directory may hold (no separators, no dot files, no `..`). */
export function isSafeMediaName(file: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)?$/.test(file) && file.length <= 200;
}

/** Writes the picture under a random name (temporary file, then rename); returns the name. */
export async function storeImage(mediaDir: string, image: ReencodedImage): Promise<string> {
  await mkdir(mediaDir, { recursive: true });
  const file = randomImageName(image.ext);
  const path = join(mediaDir, file);
  // A dot file: never served by the static handler (dotfiles: 'deny') while it is being written.
  const tmp = join(mediaDir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, image.data, { mode: 0o644, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}

/** Removes a stored picture; names that are not plain media file names are left alone. */
export async function removeImageFile(mediaDir: string, file: string): Promise<void> {
  if (!isSafeMediaName(file)) return;
  await rm(join(mediaDir, file), { force: true });
}
