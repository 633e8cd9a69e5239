#!/usr/bin/env python3
"""Reads an asset with c2pa-python and prints its validation state and codes as one JSON line.

Usage: read_state.py FILE [ANCHORS.pem] [--fragment FRAGMENT] [--manifest STORE.c2pa]

--fragment: FILE is a fragmented MP4 init segment, FRAGMENT one of its fragment files.
--manifest: validate the manifest store STORE.c2pa (raw bytes) against FILE.
Prints {"present", "state", "failure", "success", "informational", "validation_status",
"activeManifest", "error"}; codes are those of the active manifest, and
"validation_status" lists every failure code (active manifest and ingredients).
"""
import json
import sys

import c2pa


def option(args, name):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return None


def main() -> None:
    args = sys.argv[1:]
    fragment = option(args, "--fragment")
    manifest = option(args, "--manifest")
    path = args[0]
    settings = {"verify": {"remote_manifest_fetch": False}}
    if len(args) > 1:
        with open(args[1]) as anchors:
            settings["trust"] = {"user_anchors": anchors.read()}
    ctx = c2pa.Context.from_dict(settings)
    mime = "video/quicktime" if path.lower().endswith(".mov") else "video/mp4"
    out = {"present": False, "state": None, "failure": [], "success": [], "informational": [],
           "validation_status": [], "activeManifest": None, "error": None}
    streams = []
    try:
        if fragment:
            init = open(path, "rb")
            frag = open(fragment, "rb")
            streams += [init, frag]
            reader = c2pa.Reader(mime, init, context=ctx)
            reader.with_fragment(mime, init, frag)
        elif manifest:
            asset = open(path, "rb")
            streams.append(asset)
            with open(manifest, "rb") as store:
                data = store.read()
            reader = c2pa.Reader(mime, asset, manifest_data=data, context=ctx)
        else:
            reader = c2pa.Reader(path, context=ctx)
        with reader as r:
            out["present"] = True
            out["state"] = r.get_validation_state()
            active = (r.get_validation_results() or {}).get("activeManifest") or {}
            for kind in ("success", "informational", "failure"):
                out[kind] = [entry.get("code") for entry in active.get(kind, [])]
            report = json.loads(r.json())
            out["activeManifest"] = report.get("active_manifest")
            out["validation_status"] = [s.get("code") for s in report.get("validation_status") or []]
    except Exception as error:  # no manifest, or an unreadable one
        out["error"] = f"{type(error).__name__}: {error}"
    finally:
        for stream in streams:
            stream.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
