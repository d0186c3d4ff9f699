// Tags are merged in one place: Project, Stack and ManagedBy (plus berth:tags) are the AWS
// provider's default tags, so every taggable resource carries them; components add only Name.

/** Default tags for the AWS provider: Project, Stack, ManagedBy, then the stack's own extras. */
export function defaultTags(cfg: {
  readonly project: string;
  readonly stack: string;
  readonly tags: Readonly<Record<string, string>>;
}): Record<string, string> {
  return { ...cfg.tags, Project: cfg.project, Stack: cfg.stack, ManagedBy: "pulumi" };
}

/** Per-resource tags: the physical name people see in the console, then any extras. */
export function nameTag(physical: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Name: physical, ...extra };
}
