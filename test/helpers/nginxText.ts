// Just enough nginx-config reading for tests: find blocks by their head and return their text.

/** One `head { body }` block. */
export interface NginxBlock {
  /** Text before the brace, trimmed, e.g. "location /" or "server". */
  readonly head: string;
  /** Everything between the braces (nested blocks included). */
  readonly body: string;
}

/** Every block (at any depth) whose head matches `head`. Comments are stripped first. */
export function findBlocks(text: string, head: RegExp): NginxBlock[] {
  const src = text.split("\n").map((l) => l.replace(/#.*$/, "")).join("\n");
  const out: NginxBlock[] = [];
  const stack: Array<{ head: string; start: number }> = [];
  let boundary = 0; // just after the last ; { or }: where the next head begins
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "{") {
      stack.push({ head: src.slice(boundary, i).trim(), start: i + 1 });
      boundary = i + 1;
    } else if (c === "}") {
      const open = stack.pop();
      if (!open) throw new Error("unbalanced } in nginx text");
      if (head.test(open.head)) out.push({ head: open.head, body: src.slice(open.start, i) });
      boundary = i + 1;
    } else if (c === ";") boundary = i + 1;
  }
  if (stack.length > 0) throw new Error("unbalanced { in nginx text");
  return out;
}

/** Directive lines directly in a block body (nested blocks removed), whitespace-collapsed, without ";". */
export function directives(body: string): string[] {
  let flat = body.split("\n").map((l) => l.replace(/#.*$/, "")).join("\n");
  // Remove innermost blocks (with their heads) until none is left.
  for (let prev = ""; prev !== flat;) {
    prev = flat;
    flat = flat.replace(/[^{};]*\{[^{}]*\}/g, ";");
  }
  return flat.split(";").map((s) => s.replace(/\s+/g, " ").trim()).filter((s) => s !== "");
}
