// Booting a rehearsal for a test file: `up`, and when it fails, `down` before the error goes on, so a
// half-made rehearsal (dockerd, nginx, sshd, iptables rules) never outlives the file that made it.
import { down, up, type Endpoints, type UpOptions } from "../../cli/local/rehearsal";

export async function upOrTearDown(opts: UpOptions): Promise<Endpoints> {
  try {
    return await up(opts);
  } catch (e) {
    await down(opts.dir).catch(() => undefined);
    throw e;
  }
}
