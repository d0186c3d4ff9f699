// Renders a PlanDiff (planDiff.ts) for a terminal (text) or a pull-request comment (markdown).
// Dangers first, then counts, config, resources with their property changes, the changed lines
// of host files as unified diffs, and outputs. Secrets show as "[secret] (changed)", never a value.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import type { Action, PlanDiff, PropertyChange, ResourceChange } from "./planDiff";
import { SECRET } from "./planDiff";

export type DiffFormat = "text" | "markdown";

export interface RenderOptions {
  readonly format: DiffFormat;
  /** e.g. "main (1a2b3c4)". */
  readonly before: string;
  /** e.g. "working tree". */
  readonly after: string;
}

/** The hidden marker that lets a workflow find (and update) the comment of a stack. */
export function commentMarker(stack: string): string {
  return `<!-- berth-plan-diff stack=${stack} -->`;
}

/** ", moved from <old name>" for a resource an alias carried over from another URN. */
function movedNote(r: ResourceChange): string {
  return r.movedFrom !== undefined ? `, moved from ${r.movedFrom.split("::").pop()!}` : "";
}

const SYMBOL: Record<Action, string> = { add: "+", remove: "-", replace: "+-", update: "~" };
const WORD: Record<Action, string> = { add: "create", remove: "delete", replace: "REPLACE", update: "update" };

/** One value on one line: secrets as [secret], scripts as their first line and length. */
export function formatValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (v === SECRET) return SECRET;
  if (typeof v === "string" && v.includes("\n")) {
    const lines = v.split("\n");
    return `${JSON.stringify(`${lines[0].slice(0, 60)}${lines[0].length > 60 ? "..." : ""}`)} (${lines.length} lines)`;
  }
  // JSON.stringify gives undefined only for functions and symbols, which no plan holds.
  const s = JSON.stringify(v) ?? `(${typeof v})`;
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function describeChange(c: PropertyChange, hostFile: boolean): string {
  let what: string;
  if (c.secret) what = `${SECRET} (changed)`;
  else if (c.becauseReplaced) what = `${formatValue(c.before)} -> (known after apply: ${c.becauseReplaced} is replaced)`;
  else if (hostFile) what = `${formatValue(c.before)} -> ${formatValue(c.after)} (see host files)`;
  else what = `${formatValue(c.before)} -> ${formatValue(c.after)}`;
  const notes = [c.replaces ? `forces replacement: ${c.replaces}` : "", c.disrupts ? c.disrupts : ""].filter(Boolean);
  return `${c.path}: ${what}${notes.length ? `  [${notes.join("; ")}]` : ""}`;
}

function summary(d: PlanDiff): string {
  const n = (a: Action): number => d.resources.filter((r) => r.action === a).length;
  return `${n("add")} to create, ${n("remove")} to delete, ${n("replace")} to replace, ${n("update")} to update, ${d.unchanged} unchanged; ${d.outputs.length} output(s) and ${d.config.length} config key(s) changed.`;
}

function isHostFileChange(r: ResourceChange, c: PropertyChange, d: PlanDiff): boolean {
  return d.files.some((f) => f.resource === r.name) && (c.path === "stdin" || c.path === "userData");
}

function patches(d: PlanDiff): string[] {
  return d.files.map((f) => {
    const name = f.path.startsWith("/") ? f.path : `/${f.path.replace(/[()]/g, "").replace(/\s+/g, "-")}`;
    const p = createTwoFilesPatch(`a${name}`, `b${name}`, f.before, f.after, f.resource, f.resource, { context: 3, headerOptions: FILE_HEADERS_ONLY });
    return p.trimEnd();
  });
}

function notes(d: PlanDiff): string[] {
  const out: string[] = [];
  if (d.uncomparableSecrets > 0)
    out.push(`${d.uncomparableSecrets} secret value(s) could not be compared: the plan at the older revision carries no secret digests.`);
  if (d.oldPlanWithoutOptions)
    out.push("The plan at the older revision records no resource options; replacements follow the providers' rules and the current options.");
  out.push(...(d.removedVolumes ?? []).map((v) => `${v.charAt(0).toUpperCase()}${v.slice(1)}.`));
  return out;
}

export function renderText(d: PlanDiff, o: RenderOptions): string {
  const lines: string[] = [
    `Plan diff of stack "${d.stack}": ${o.before} -> ${o.after}`,
    "(offline plans under the mock engine; replacements follow the providers' replace-on-change properties)",
    "",
  ];
  for (const x of d.dangers) lines.push(`!!! ${x.message}`);
  if (d.dangers.length) lines.push("");
  lines.push(summary(d));
  for (const n of notes(d)) lines.push(`note: ${n}`);
  if (d.config.length) {
    lines.push("", `Config (Pulumi.${d.stack}.yaml):`);
    for (const c of d.config)
      lines.push(
        `  ${c.before === undefined ? "+" : c.after === undefined ? "-" : "~"} ${c.key}: ${c.secret ? `${SECRET} (changed)` : `${formatValue(c.before)} -> ${formatValue(c.after)}`}`,
      );
  }
  if (d.resources.length) {
    lines.push("", "Resources:");
    for (const r of d.resources) {
      lines.push(
        `  ${SYMBOL[r.action].padEnd(2)} ${r.type}  ${r.name}  (${WORD[r.action]}${r.deleteBeforeReplace ? ", delete before create: a gap" : ""}${movedNote(r)})`,
      );
      for (const c of r.changes) lines.push(`       ~ ${describeChange(c, isHostFileChange(r, c, d))}`);
      if (r.ignored?.length) lines.push(`       (ignored by ignoreChanges: ${r.ignored.join(", ")})`);
    }
  }
  if (d.files.length) {
    lines.push("", "Host files:");
    for (const p of patches(d)) lines.push(...p.split("\n").map((l) => `  ${l}`));
  }
  if (d.outputs.length) {
    lines.push("", "Outputs:");
    for (const c of d.outputs) lines.push(`  ~ ${describeChange(c, false)}`);
  }
  if (!d.dangers.length && !d.resources.length && !d.outputs.length && !d.config.length) lines.push("", "No changes.");
  return `${lines.join("\n")}\n`;
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

export function renderMarkdown(d: PlanDiff, o: RenderOptions): string {
  const out: string[] = [
    commentMarker(d.stack),
    `### Plan diff: \`${d.stack}\``,
    "",
    `${cell(o.before)} → ${cell(o.after)} (offline plans, no credentials; replacements follow the providers' replace-on-change properties)`,
    "",
  ];
  if (d.dangers.length) {
    out.push("> [!CAUTION]");
    for (const x of d.dangers) out.push(`> **${cell(x.message)}**`);
    out.push("");
  }
  out.push(summary(d), "");
  for (const n of notes(d)) out.push(`> ${n}`, "");
  if (d.config.length) {
    out.push(`**Config** (\`Pulumi.${d.stack}.yaml\`)`, "", "| key | before | after |", "|---|---|---|");
    for (const c of d.config)
      out.push(
        `| ${code(c.key)} | ${c.before === undefined ? "" : code(formatValue(c.before))} | ${c.after === undefined ? "" : code(c.secret ? `${SECRET} (changed)` : formatValue(c.after))} |`,
      );
    out.push("");
  }
  if (d.resources.length) {
    out.push("| action | resource | type | changes |", "|---|---|---|---|");
    for (const r of d.resources) {
      const changes = r.changes.map((c) => code(describeChange(c, isHostFileChange(r, c, d)))).join("<br>");
      out.push(`| ${WORD[r.action]}${r.deleteBeforeReplace ? " (delete first)" : ""}${movedNote(r)} | ${code(r.name)} | ${code(r.type)} | ${cell(changes)} |`);
    }
    out.push("");
  }
  if (d.files.length) {
    out.push(`<details><summary>Host files: ${d.files.length} changed</summary>`, "", "```diff", ...patches(d), "```", "", "</details>", "");
  }
  if (d.outputs.length) {
    out.push("**Outputs**", "");
    for (const c of d.outputs) out.push(`- ${code(describeChange(c, false))}`);
    out.push("");
  }
  if (!d.dangers.length && !d.resources.length && !d.outputs.length && !d.config.length) out.push("No changes.", "");
  return `${out.join("\n")}\n`;
}

export function renderDiff(d: PlanDiff, o: RenderOptions): string {
  return o.format === "markdown" ? renderMarkdown(d, o) : renderText(d, o);
}
