"""Unpack scripts/device_pack.py's payload on the device: data and caches under DEST, float32 again.

    python3 scripts/device_unpack.py .device_payload/payload.tar.gz /tmp/crs
    export CRS_DATA=/tmp/crs/data CRS_HOME=/tmp/crs/home
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np


def unpack(payload: str | Path, dest: str | Path) -> dict:
    dest = Path(dest)
    with tarfile.open(payload, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        fp16 = set(manifest["float16"])
        for m in tar.getmembers():
            if m.name == "manifest.json" or not m.isfile() or m.name.startswith("/") or ".." in m.name:
                continue
            out = dest / m.name
            out.parent.mkdir(parents=True, exist_ok=True)
            blob = tar.extractfile(m).read()
            if m.name in fp16:
                np.save(out, np.load(io.BytesIO(blob)).astype(np.float32))
            else:
                out.write_bytes(blob)
    return {"files": len(manifest["files"]), "dest": str(dest)}


if __name__ == "__main__":
    print(json.dumps(unpack(sys.argv[1], sys.argv[2])))
