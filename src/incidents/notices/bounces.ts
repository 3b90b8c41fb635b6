/**
 * Permanent delivery failures from a file: either DSN messages (RFC 3464 delivery-status parts,
 * one or many, as mail servers send them back) or a plain bounce list (one address per line, or a
 * CSV whose first column is the address). From DSNs, only recipients whose `Action: failed` or
 * whose `Status: 5.x.x` count: a delayed (4.x.x) message is not a bounce.
 */
export interface BounceList {
  addresses: string[];
  /** Lines or DSN blocks that named no usable address (for the report). */
  ignored: number;
}

const EMAIL = /^[^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[^\s@<>"(),;:]+$/;

function clean(v: string): string {
  return v.trim().replace(/^<|>$/g, '').trim().toLowerCase();
}

export function parseBounces(text: string): BounceList {
  const found = new Set<string>();
  let ignored = 0;
  if (/^Final-Recipient:/im.test(text)) {
    // Per-recipient fields are separated by blank lines; a block starts at Final-Recipient.
    const blocks = text.replace(/\r\n/g, '\n').split(/\n(?=Final-Recipient:)/i).filter((b) => /^Final-Recipient:/i.test(b));
    for (const block of blocks) {
      const recipient = /^Final-Recipient:\s*[^;\n]*;\s*(.+)$/im.exec(block)?.[1];
      const action = /^Action:\s*(\S+)/im.exec(block)?.[1]?.toLowerCase();
      const status = /^Status:\s*(\d)\.\d{1,3}\.\d{1,3}/im.exec(block)?.[1];
      const email = recipient ? clean(recipient) : '';
      if (EMAIL.test(email) && (action === 'failed' || status === '5')) found.add(email);
      else ignored++;
    }
    return { addresses: [...found].sort(), ignored };
  }
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const first = clean(line.split(',')[0]!.replace(/^"|"$/g, ''));
    if (EMAIL.test(first)) found.add(first);
    else ignored++;
  }
  return { addresses: [...found].sort(), ignored };
}
