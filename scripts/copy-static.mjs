#!/usr/bin/env node
// `npm run build` compiles TypeScript to dist/; the static assets the server reads beside its
// modules (CSS, the storefront and admin scripts, icons) are copied next to the compiled files.
import { cpSync } from 'node:fs';

for (const dir of ['src/web/static', 'src/admin/static']) {
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
