// The host check's embedded-metric-format lines as the tests read them: one metric per line, its
// namespace, name and dimensions from the `_aws` definition, its value and dimension values at the top.

/** One metric a line carries. */
export interface Line {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, string>;
  readonly value: number;
}

/** An embedded-metric-format line: the metric's definition under `_aws`, its value and dimensions at the top. */
export type EmfLine = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    LogGroupName: string;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }>;
  };
};

/** The metric of one line's text (its first definition, as the host check writes one per line). */
export function readEmfLine(text: string): Line {
  const j = JSON.parse(text) as EmfLine;
  const def = j._aws.CloudWatchMetrics[0];
  const metric = def.Metrics[0].Name;
  return { namespace: def.Namespace, metric, dimensions: Object.fromEntries(def.Dimensions[0].map((d) => [d, String(j[d])])), value: Number(j[metric]) };
}
