/** The one error type of the application; mapped to HTTP in one place (src/app/server.ts). */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'ページ') => new AppError(404, 'not_found', `${what}が見つかりません。`);
export const badRequest = (message: string, fields: Record<string, string> = {}) =>
  new AppError(400, 'bad_request', message, fields);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const forbidden = (message = 'この操作は許可されていません。') => new AppError(403, 'forbidden', message);
export const tooManyRequests = (message = 'しばらく時間をおいてから再度お試しください。') =>
  new AppError(429, 'rate_limited', message);
