import type { ComponentChildren } from 'preact';
import type { AdminCtx } from './layout.js';

/** The CSRF field every admin form carries. */
export function Csrf(props: { c: AdminCtx }) {
  return <input type="hidden" name="_csrf" value={props.c.csrf} />;
}

/** A message box; errors are announced (role=alert), the rest politely (role=status). */
export function Notice(props: { kind: 'info' | 'success' | 'error'; children: ComponentChildren }) {
  return <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>{props.children}</div>;
}
