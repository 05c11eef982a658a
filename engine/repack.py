"""Convert a package of format 1 (member checksums only) to the current format, unchanged.

``python -m engine repack OLD NEW``: the members are checked against the checksums format 1
lists, copied byte for byte, and sealed with the whole-package digest of format 2; the new
package is then loaded in full before it replaces NEW.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from engine import strict_json
from engine.archive import read_file, read_members
from engine.errors import ModelLoadError
from engine.manifest import FORMAT_VERSION, MANIFEST, validate_manifest
from engine.package import DIGEST, dump_manifest, load_package, write_members

logger = logging.getLogger(__name__)


def repack(src: str | Path, dst: str | Path) -> Path:
    """Write the package ``src`` (format 1 or 2) to ``dst`` in format FORMAT_VERSION.

    Raises:
        ModelLoadError: ``src`` is unreadable, fails its checksums, or is no model package
            this engine loads (another preprocessing version, a broken tensor: rebuild it).
    """
    src, dst = Path(src), Path(dst)

    def fail(reason: str) -> ModelLoadError:
        return ModelLoadError(f"cannot repack {src}: {reason}")

    members = read_members(read_file(src, fail), fail)
    members.pop(DIGEST, None)
    if MANIFEST not in members:
        raise fail(f"no {MANIFEST}: not a Xiezi model package")
    try:
        manifest = strict_json.loads(members.pop(MANIFEST))
        if not isinstance(manifest, dict) or manifest.get("format_version") not in (1, 2):
            raise ValueError(f"{MANIFEST} is not that of a format 1 or 2 package")
        manifest["format_version"] = FORMAT_VERSION
        validate_manifest(manifest)
    except ValueError as e:
        raise fail(str(e)) from e
    listed = manifest["sha256"]
    if set(listed) != set(members):
        odd = min(set(listed) ^ set(members))
        raise fail(f"member {odd} is missing or not listed in the manifest")
    for member, digest in listed.items():
        if hashlib.sha256(members[member]).hexdigest() != digest:
            raise fail(f"checksum mismatch for {member} (the file was modified or damaged)")
    tmp = dst.with_name(f".{dst.name}.repack")
    write_members(tmp, dump_manifest(manifest), members)
    try:
        load_package(tmp)
    except ModelLoadError as e:
        tmp.unlink(missing_ok=True)
        raise fail(f"the repacked package does not load: {e}") from e
    tmp.replace(dst)
    logger.info("repacked %s -> %s (format %d)", src, dst, FORMAT_VERSION)
    return dst
