// Reads a bundle script back into the host files it writes (the inverse of
// components/render/bundle.ts, for tools that look at a plan rather than make one: the plan
// diff shows changed nginx/registry lines, the diagram and the policy pack read nginx routes).
// Pure: no imports, so the policy pack can load it without the program's dependencies.

/** One file a bundle writes. */
export interface BundledFile {
  readonly path: string;
  readonly content: string;
}

// `cat > "$stage/files"'/etc/nginx/nginx.conf' <<'BERTH_EOF_0123456789ab'` (paths are plain: the
// renderer refuses anything but [A-Za-z0-9._/@+-], so the single quotes never need escaping).
const FILE_HEAD = /^cat > "\$stage\/files"'([^']+)' <<'(BERTH_EOF_[0-9a-f]+)'$/;

/** True when the text is a Berth bundle script. */
export function isBundle(script: string): boolean {
  return /^# Berth bundle "/m.test(script);
}

/** Every file of a bundle, in the bundle's (sorted) order. Throws on a truncated here-document. */
export function bundleFiles(script: string): BundledFile[] {
  const lines = script.split("\n");
  const out: BundledFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FILE_HEAD.exec(lines[i]);
    if (!m) continue;
    const end = lines.indexOf(m[2], i + 1);
    if (end < 0) throw new Error(`bundle: here-document for ${m[1]} is not closed`);
    out.push({ path: m[1], content: `${lines.slice(i + 1, end).join("\n")}\n` });
    i = end;
  }
  return out;
}
