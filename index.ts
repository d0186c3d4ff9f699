// Entry point Pulumi loads. The program lives in berth.ts so the offline plan and the tests
// can run the very same function under the mock engine.
import { berth } from "./berth";

export = berth;
