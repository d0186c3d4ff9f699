// Builds a tiny OCI image layout by hand (no Docker, no network) for push/pull tests with skopeo:
// one gzip layer holding one file, a config, a manifest, index.json and oci-layout.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

/** What was written, for assertions after a round trip. */
export interface OciImage {
  /** The layout directory (skopeo reference: `oci:<dir>:<tag>`). */
  readonly dir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  readonly layerSize: number;
}

/** The part of an image manifest (as `skopeo inspect --raw` prints it) the tests read. */
export interface OciManifest {
  readonly layers: readonly { readonly digest: string; readonly size: number }[];
}

/** A ustar header for a regular file (mode 0644, owner root, mtime 0). */
export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number): void => {
    h.write(s.slice(0, len), off, "ascii");
  };
  const octal = (n: number, len: number): string => `${n.toString(8).padStart(len - 1, "0")}\0`;
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  h.fill(" ", 148, 156); // checksum field counts as spaces while summing
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

/**
 * Writes an OCI layout with one layer: a tar holding `payload.bin` of `payloadBytes` random bytes,
 * gzip-wrapped at level 0 (random data does not compress; storing keeps it fast while skopeo still
 * sees a compressed layer and sends it as is). Streams, so hundreds of megabytes need little memory.
 */
export async function writeOciImage(dir: string, tag: string, payloadBytes: number): Promise<OciImage> {
  const blobs = path.join(dir, "blobs", "sha256");
  fs.mkdirSync(blobs, { recursive: true });
  const tmp = path.join(blobs, "layer.tmp");
  const out = fs.createWriteStream(tmp);
  const gz = zlib.createGzip({ level: 0 });
  const layerHash = createHash("sha256");
  const diffHash = createHash("sha256");
  let layerSize = 0;
  gz.on("data", (c: Buffer) => {
    layerHash.update(c);
    layerSize += c.length;
  });
  gz.pipe(out);
  const write = (b: Buffer): Promise<void> =>
    new Promise((resolve) => {
      diffHash.update(b);
      if (gz.write(b)) resolve();
      else gz.once("drain", () => resolve());
    });
  await write(tarHeader("payload.bin", payloadBytes));
  for (let left = payloadBytes; left > 0;) {
    const n = Math.min(left, 4 * 1024 * 1024);
    await write(randomBytes(n));
    left -= n;
  }
  await write(Buffer.alloc(((512 - (payloadBytes % 512)) % 512) + 1024, 0));
  await new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gz.end();
  });
  const layerDigest = layerHash.digest("hex");
  fs.renameSync(tmp, path.join(blobs, layerDigest));

  const blob = (obj: unknown): { digest: string; size: number } => {
    const text = Buffer.from(JSON.stringify(obj));
    const digest = createHash("sha256").update(text).digest("hex");
    fs.writeFileSync(path.join(blobs, digest), text);
    return { digest, size: text.length };
  };
  const config = blob({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [`sha256:${diffHash.digest("hex")}`] },
  });
  const manifest = blob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${config.digest}`, size: config.size },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${layerDigest}`, size: layerSize }],
  });
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(
    path.join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${manifest.digest}`,
          size: manifest.size,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return { dir, tag, manifestDigest: `sha256:${manifest.digest}`, layerDigest: `sha256:${layerDigest}`, layerSize };
}
