// berth:alerts across fields: somewhere to send alarms to, a topic in the stack's region, and a
// max_connections for the database class (known from the class's memory, or given).
import { rdsMaxConnections } from "../../lib/alerts";
import type { ConfigProblem } from "../errors";
import type { Raw } from "../schema";

export function validateAlerts(raw: Raw, region: string, add: (p: ConfigProblem) => void): void {
  const a = raw.alerts;
  if (!a.enabled) {
    if (a.email.length > 0 || a.snsTopicArn !== undefined)
      add({
        key: a.email.length > 0 ? "berth:alerts.email" : "berth:alerts.snsTopicArn",
        value: a.email.length > 0 ? a.email : a.snsTopicArn,
        message: "is set but berth:alerts.enabled is false, so nothing would be sent to it; set berth:alerts.enabled: true, or remove it",
      });
    return;
  }
  if (a.email.length === 0 && a.snsTopicArn === undefined)
    add({
      key: "berth:alerts.email",
      value: [],
      message: "is empty and berth:alerts.snsTopicArn is unset: alarms would notify nobody; list at least one address, or give an existing topic",
    });
  if (new Set(a.email.map((e) => e.toLowerCase())).size !== a.email.length)
    add({ key: "berth:alerts.email", value: a.email, message: "lists an address twice" });
  const topicRegion = a.snsTopicArn?.split(":")[3];
  if (topicRegion !== undefined && topicRegion !== region)
    add({
      key: "berth:alerts.snsTopicArn",
      value: a.snsTopicArn,
      message: `is in ${topicRegion}, but CloudWatch alarms notify topics of their own region only (${region}); use a topic in ${region}`,
    });
  if (a.databaseMaxConnections === undefined && rdsMaxConnections(raw.database.instanceClass) === undefined)
    add({
      key: "berth:alerts.databaseMaxConnections",
      value: undefined,
      message: `is required for berth:database.instanceClass ${raw.database.instanceClass}, whose memory (and so max_connections) Berth does not know; set the instance's max_connections`,
    });
}
