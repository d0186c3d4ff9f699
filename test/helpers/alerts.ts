// The berth:alerts thresholds the alarm tests share: the schema's defaults
// (test/config/validate/alerts.test.ts pins those defaults; these are one copy for the other tests).
import type { AlertThresholds } from "../../lib/alerts";

export const ALERT_THRESHOLDS: AlertThresholds = {
  diskUsedPercent: 85,
  memoryUsedPercent: 90,
  cpuCreditBalance: 20,
  databaseFreeStoragePercent: 10,
  databaseFreeStorageGiB: 2,
  databaseCpuPercent: 80,
  databaseFreeableMemoryMiB: 64,
  databaseConnectionsPercent: 80,
  certificateDaysToExpiry: 14,
  containerRestarts: 3,
  deployFailures: 1,
  http5xxCount: 10,
  appLogErrors: 10,
};
