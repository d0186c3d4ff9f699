// Pure renderer: the `docker run` logging arguments of an app's containers, which the deploy program
// reads from apps.json (`logArgs` of each part) and passes as they are.
//
// On AWS the containers log to CloudWatch Logs with Docker's awslogs driver: `mode=non-blocking` with
// a ring buffer, so a slow or unreachable CloudWatch never blocks an app writing to stdout (lines are
// dropped when the buffer is full), and the driver creates the log stream on the first line instead
// of at container start, so an unreachable CloudWatch never keeps a container from starting (moby
// PR 36522). Docker (20.10 and later) keeps a local copy for `docker logs` beside any remote driver
// ("dual logging"), so `berth-deploy logs` keeps working. The rehearsal uses the local driver.

/** Where an app's containers log. */
export type AppLogTarget =
  | {
      /** CloudWatch Logs through Docker's awslogs driver, with the instance profile's credentials. */
      readonly driver: "awslogs";
      /** The stack's region, e.g. "ap-northeast-2". */
      readonly region: string;
      /** The app's log group, which the stack created (the driver never creates one). */
      readonly group: string;
    }
  | {
      /** Docker's local driver: compressed files on the host, rotated (the rehearsal). */
      readonly driver: "local";
    };

/** Memory per container for lines waiting for CloudWatch; beyond it new lines are dropped. */
export const AWSLOGS_BUFFER = "4m";
/** Size of one local log file, and how many the local driver keeps per container. */
export const LOCAL_LOG_LIMITS = { maxSize: "10m", maxFile: 3 } as const;
/**
 * The stream of each container: its name then its short id (`berth-web-frontend-blue-3/0123456789ab`),
 * so every container writes to a stream of its own and the streams of one part sort together.
 */
export const AWSLOGS_STREAM_TAG = "{{.Name}}/{{.ID}}";

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** CloudWatch Logs' rule for group names: 1-512 of letters, digits and `._-/#`. */
const GROUP = /^[A-Za-z0-9._/#-]{1,512}$/;

/** `--log-driver` and `--log-opt` arguments for `docker run`, in a fixed order. */
export function appLogArgs(target: AppLogTarget): string[] {
  if (target.driver === "local") {
    return ["--log-driver", "local", "--log-opt", `max-size=${LOCAL_LOG_LIMITS.maxSize}`, "--log-opt", `max-file=${LOCAL_LOG_LIMITS.maxFile}`];
  }
  if (!REGION.test(target.region)) throw new Error(`logs: region ${JSON.stringify(target.region)} must be an AWS region like ap-northeast-2`);
  if (!GROUP.test(target.group)) throw new Error(`logs: log group ${JSON.stringify(target.group)} must be 1-512 letters, digits or . _ - / #`);
  return [
    "--log-driver",
    "awslogs",
    "--log-opt",
    `awslogs-region=${target.region}`,
    "--log-opt",
    `awslogs-group=${target.group}`,
    "--log-opt",
    `tag=${AWSLOGS_STREAM_TAG}`,
    "--log-opt",
    "mode=non-blocking",
    "--log-opt",
    `max-buffer-size=${AWSLOGS_BUFFER}`,
  ];
}
