#!/usr/bin/env python3
"""Signs a media file with c2pa-python, for interop tests.

Usage: sign.py INPUT OUTPUT CHAIN.pem KEY.pem ALG [--sidecar STORE.c2pa] [--no-embed] [--merkle-kb N]
ALG is es256, ps256 or ed25519. The chain is leaf first; the key PKCS#8 PEM.
With --sidecar the manifest store is also written to STORE.c2pa; with --no-embed it is
not put into OUTPUT (the manifest then lives only in the sidecar). --merkle-kb N makes the
BMFF hash a Merkle tree over N KiB blocks of mdat (c2pa-rs setting core.merkle_tree_chunk_size_in_kb).
Prints {"ok": true} or {"ok": false, "error": ...} as JSON.
"""
import json
import sys

import c2pa

ALGS = {"es256": c2pa.C2paSigningAlg.ES256, "ps256": c2pa.C2paSigningAlg.PS256,
        "ed25519": c2pa.C2paSigningAlg.ED25519}


def main() -> None:
    args = sys.argv[1:]
    sidecar = None
    if "--sidecar" in args:
        i = args.index("--sidecar")
        sidecar = args[i + 1]
        del args[i:i + 2]
    merkle_kb = None
    if "--merkle-kb" in args:
        i = args.index("--merkle-kb")
        merkle_kb = int(args[i + 1])
        del args[i:i + 2]
    no_embed = "--no-embed" in args
    if no_embed:
        args.remove("--no-embed")
    src, dst, chain_path, key_path, alg = args
    with open(chain_path, "rb") as f:
        chain = f.read()
    with open(key_path, "rb") as f:
        key = f.read()
    manifest = {
        "claim_generator_info": [{"name": "hallmark-interop-test", "version": "1.0"}],
        "title": "interop",
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]}}],
    }
    try:
        settings = {"verify": {"remote_manifest_fetch": False}}
        if merkle_kb:
            settings["core"] = {"merkle_tree_chunk_size_in_kb": merkle_kb}
        ctx = c2pa.Context.from_dict(settings)
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(ALGS[alg], chain, key, None))
        with c2pa.Builder(manifest, ctx) as builder:
            if no_embed:
                builder.set_no_embed()
            store = builder.sign_file(src, dst, signer)
        if sidecar and store:
            with open(sidecar, "wb") as f:
                f.write(bytes(store))
        print(json.dumps({"ok": True}))
    except Exception as error:
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))


if __name__ == "__main__":
    main()
