#!/usr/bin/env python3
"""Write a FROM-scratch image holding only /capinit as a docker-archive tarball.

Why our own writer: building the image needs no daemon, no registry and no
builder, and every byte is under our control, so the archive is as
reproducible as the binary in it (fixed timestamps from SOURCE_DATE_EPOCH,
uid/gid 0, no user or host names, entries in a fixed order, JSON with sorted
keys). The docker-archive layout (manifest.json + config + layer tar) is what
`docker save` writes and what both `docker load` and `podman load` read.

Usage: image-archive.py --arch ARCH --binary FILE --tag NAME:TAG --out FILE.tar
ARCH is a release name (amd64 arm64 armv7 ppc64le s390x riscv64); the config
gets the OCI architecture and variant for it.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import time

# Release name -> (OCI architecture, variant or None), as `docker buildx`
# and the OCI image index name these platforms.
PLATFORMS = {
    "amd64": ("amd64", None),
    "arm64": ("arm64", "v8"),
    "armv7": ("arm", "v7"),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}


def tar_bytes(entries, mtime):
    """A tar of (name, bytes, mode) entries in the given order, with nothing
    taken from the build machine: owner root, fixed mtime, ustar headers."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(PLATFORMS))
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    # The commit's time when make passes it; a fixed date otherwise, never
    # the wall clock (two builds must agree).
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))

    with open(args.binary, "rb") as f:
        binary = f.read()
    layer = tar_bytes([("capinit", binary, 0o755)], epoch)
    layer_hex = hashlib.sha256(layer).hexdigest()

    arch, variant = PLATFORMS[args.arch]
    config = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": {"Entrypoint": ["/capinit"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_hex]},
        "history": [{"created": created,
                     "created_by": "capinit release: /capinit from dist/capinit-linux-"
                                   + args.arch}],
    }
    if variant:
        config["variant"] = variant
    config_bytes = canonical_json(config)
    config_hex = hashlib.sha256(config_bytes).hexdigest()

    manifest = [{
        "Config": config_hex + ".json",
        "RepoTags": [args.tag],
        "Layers": [layer_hex + "/layer.tar"],
    }]
    name, _, tag = args.tag.rpartition(":")
    repositories = {name: {tag: config_hex}}

    archive = tar_bytes([
        (config_hex + ".json", config_bytes, 0o644),
        (layer_hex + "/layer.tar", layer, 0o644),
        ("manifest.json", canonical_json(manifest), 0o644),
        ("repositories", canonical_json(repositories), 0o644),
    ], epoch)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(archive)
    os.replace(tmp, args.out)
    print("image-archive: %s (%s, %s%s), image id sha256:%s" % (
        args.out, args.tag, arch, "/" + variant if variant else "", config_hex[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
