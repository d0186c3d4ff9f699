// Just enough nginx-config reading for tests: the shared reader in lib/nginxRead.ts.
export { directives, findBlocks, type NginxBlock } from "../../lib/nginxRead";
