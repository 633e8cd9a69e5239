#!/usr/bin/env python3
"""Hostile media through the real command line: mutants of stamped and plain clips (bit flips,
box-size rewrites, swapped box types, truncations) run through `hallmark verify` and, for a
share of them, `hallmark stamp`, each under a time limit. Counts exit statuses; a crash is a
process killed by a signal, a hang is a run past the limit. Crashing and hanging mutants are
kept in OUT/keep/ with the command's stderr, and so are the mutants of any `--keep STATUS`
(e.g. `--keep "exit 73"`, to look at an unexpected exit status).

    python3 scripts/mutate-media.py [--verify 4000] [--stamp 1000] [--timeout 30] [--jobs 1]
                                    [--seed 1] [--out Fuzz/work/media] [--keep STATUS]

Builds `hallmark` (swift build -c release) first. Seeds: short clips made with ffmpeg and
stamped with a throw-away development home, Fixtures/ (the small ones) and, when present, the
small files of ../shared/c2pa-fixtures (read in place, never copied into the project).
Exit status 1 when any run crashed or hung.
"""
import argparse
import collections
import concurrent.futures
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"udta", b"mvex", b"moof",
              b"traf", b"mfra", b"sinf", b"schi", b"tref", b"meco", b"strk", b"strd"}
TYPES = [b"ftyp", b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"stco", b"co64", b"stsz", b"stsc",
         b"stts", b"mdat", b"moof", b"traf", b"tfhd", b"trun", b"mvhd", b"tkhd", b"mdhd", b"hdlr", b"uuid",
         b"free", b"skip", b"meta", b"udta", b"avc1", b"avcC", b"jumb", b"jumd", b"cbor", b"\x00\x00\x00\x00"]


def boxes(data, start=0, end=None, depth=0):
    """(offset, header size, size, type) of every box we can walk, containers descended."""
    end = len(data) if end is None else end
    found = []
    offset = start
    while offset + 8 <= end and depth < 16:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1 and offset + 16 <= end:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            break
        found.append((offset, header, size, kind))
        if kind in CONTAINERS:
            found += boxes(data, offset + header, offset + size, depth + 1)
        offset += size
    return found


def mutate(data, rng):
    """One mutant of `data` and the name of what was done."""
    data = bytearray(data)
    walked = boxes(data)
    kind = rng.choice(["bitflip", "boxsize", "fourcc", "truncate"])
    if kind == "boxsize" and walked:
        offset, header, size, _ = rng.choice(walked)
        choice = rng.randrange(8)
        if choice == 0:
            value = rng.choice([0, 1, 7, 8, 9, 0x7fffffff, 0xffffffff])
        elif choice == 1:
            value = max(0, size + rng.randint(-16, 16))
        elif choice == 2:
            value = rng.randrange(1 << 32)
        elif choice == 3:
            value = size * 2
        else:
            value = max(0, min(size + rng.randint(-4096, 4096), 0xffffffff))
        if choice == 4 or (header == 16 and choice == 5):
            # 64-bit form: size 1 and a large size after the type
            struct.pack_into(">I", data, offset, 1)
            if header == 16:
                struct.pack_into(">Q", data, offset + 8, rng.choice([0, 15, 1 << 63, (1 << 64) - 1, size + 1]))
            else:
                data[offset + 8:offset + 8] = struct.pack(">Q", rng.choice([size + 8, 1 << 40, (1 << 64) - 1]))
        else:
            struct.pack_into(">I", data, offset, value & 0xffffffff)
    elif kind == "fourcc" and walked:
        if rng.random() < 0.5 and len(walked) > 1:
            a, b = rng.sample(walked, 2)
            ta, tb = bytes(data[a[0] + 4:a[0] + 8]), bytes(data[b[0] + 4:b[0] + 8])
            data[a[0] + 4:a[0] + 8], data[b[0] + 4:b[0] + 8] = tb, ta
        else:
            offset = rng.choice(walked)[0]
            data[offset + 4:offset + 8] = rng.choice(TYPES)
    elif kind == "truncate" and len(data) > 1:
        if walked and rng.random() < 0.5:
            offset, header, size, _ = rng.choice(walked)
            cut = offset + rng.choice([0, 4, 8, header, size // 2, size - 1, size])
        else:
            cut = rng.randrange(len(data))
        del data[max(1, min(cut, len(data) - 1)):]
    else:
        kind = "bitflip"
        for _ in range(rng.choice([1, 1, 2, 4, 8, 32])):
            # Half the flips land in box headers, where the parsers look first.
            if walked and rng.random() < 0.5:
                offset, header = rng.choice(walked)[:2]
                position = offset + rng.randrange(header + 8)
            else:
                position = rng.randrange(len(data))
            if position < len(data):
                data[position] ^= 1 << rng.randrange(8)
    return bytes(data), kind


def run(command, timeout, env):
    """('exit N' | 'signal NAME' | 'timeout', stderr tail, seconds)."""
    started = time.monotonic()
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as expired:
        return "timeout", (expired.stderr or b"")[-2000:], time.monotonic() - started
    status = f"exit {done.returncode}" if done.returncode >= 0 else f"signal {signal.Signals(-done.returncode).name}"
    return status, done.stderr[-2000:], time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify", type=int, default=4000, help="mutants run through verify")
    parser.add_argument("--stamp", type=int, default=1000, help="mutants run through stamp")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per run before it counts as a hang")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="append", default=[], metavar="STATUS",
                        help='also keep the mutants that end with STATUS, e.g. "exit 73" (repeatable)')
    parser.add_argument("--out", default=os.path.join(ROOT, "Fuzz", "work", "media"))
    args = parser.parse_args()

    subprocess.run(["nice", "-n", "10", "swift", "build", "-c", "release", "--package-path", ROOT], check=True,
                   stdout=subprocess.DEVNULL)
    hallmark = os.path.join(ROOT, ".build", "release", "hallmark")
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "keep"))
    home = tempfile.mkdtemp(prefix="hallmark-mutate-home-")
    env = dict(os.environ, HALLMARK_HOME=home)
    subprocess.run([hallmark, "keys", "init", "--dev"], check=True, env=env, stdout=subprocess.DEVNULL)

    # Seeds: short clips (fast to verify and stamp), stamped and plain, and the small fixtures.
    seeds = []
    for name, size, seconds, codec in [("tiny", "256x144", 1, "libx264"), ("short", "320x180", 2, "libx264")]:
        clip = os.path.join(out, f"{name}.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=10", "-t", str(seconds),
                        "-c:v", codec, "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip], check=True)
        stamped = os.path.join(out, f"{name}-stamped.mp4")
        subprocess.run([hallmark, "stamp", clip, "--account", "seed", "-o", stamped, "--preset", "ultrafast"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        signed = os.path.join(out, f"{name}-signed.mp4")
        subprocess.run([hallmark, "sign", clip, "-o", signed], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seeds += [stamped, stamped, clip] + ([signed] if os.path.exists(signed) else [])
    for name in ["dark-540p.mp4", "bars-720p.mp4"]:
        seeds.append(os.path.join(ROOT, "Fixtures", name))
    for name in ["dashinit.mp4", "nested_moov_1000.mp4"]:
        path = os.path.join(ROOT, "..", "shared", "c2pa-fixtures", name)
        if os.path.exists(path):
            seeds.append(path)
    contents = {path: open(path, "rb").read() for path in set(seeds)}
    print(f"seeds: {len(set(seeds))} files ({', '.join(sorted(os.path.basename(s) for s in set(seeds)))})", flush=True)

    rng = random.Random(args.seed)
    jobs = []
    for index in range(args.verify + args.stamp):
        seed = rng.choice(seeds)
        mutant, kind = mutate(contents[seed], rng)
        path = os.path.join(out, f"m{index:05d}.mp4")
        with open(path, "wb") as f:
            f.write(mutant)
        command = "verify" if index < args.verify else "stamp"
        jobs.append((index, path, command, kind, os.path.basename(seed)))

    def execute(job):
        index, path, command, kind, seed = job
        if command == "verify":
            argv = ["nice", "-n", "10", hallmark, "verify", path, "--trust-dev-root", "--format", "json"]
        else:
            argv = ["nice", "-n", "10", hallmark, "stamp", path, "--account", "m", "-o", path + ".out.mp4", "--preset", "ultrafast"]
        status, stderr, seconds = run(argv, args.timeout, env)
        return job, status, stderr, seconds

    histogram = {"verify": collections.Counter(), "stamp": collections.Counter()}
    kinds = collections.Counter()
    slowest = (0.0, "")
    problems = []
    examples = {}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for count, (job, status, stderr, seconds) in enumerate(pool.map(execute, jobs), 1):
            index, path, command, kind, seed = job
            histogram[command][status] += 1
            if (command, status) not in examples:
                lines = stderr.decode("utf-8", "replace").strip().splitlines()
                examples[(command, status)] = f"{os.path.basename(path)} ({kind} of {seed}): {lines[-1] if lines else ''}"
            kinds[kind] += 1
            slowest = max(slowest, (seconds, f"{os.path.basename(path)} {command}"))
            # `nice` passes the status through; a signal shows as a negative return code.
            problem = status == "timeout" or status.startswith("signal")
            if problem:
                problems.append((os.path.basename(path), command, kind, seed, status))
            if problem or status in args.keep:
                kept = os.path.join(out, "keep", os.path.basename(path))
                shutil.copy(path, kept)
                with open(kept + f".{command}.stderr", "wb") as f:
                    f.write(stderr)
            for leftover in [path, path + ".out.mp4"]:
                if os.path.exists(leftover):
                    os.remove(leftover)
            if count % 250 == 0:
                print(f"{count}/{len(jobs)} runs, {time.monotonic() - started:.0f} s, problems so far: {len(problems)}", flush=True)

    shutil.rmtree(home, ignore_errors=True)
    print(f"\nmutants: {len(jobs)} ({args.verify} verify, {args.stamp} stamp), seed {args.seed}, "
          f"limit {args.timeout:g} s per run, {time.monotonic() - started:.0f} s in all")
    print("mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for command in ["verify", "stamp"]:
        print(f"{command} exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(histogram[command].items())))
    for (command, status), example in sorted(examples.items()):
        print(f"  first {command} {status}: {example[:300]}")
    crashes = sum(1 for p in problems if p[4].startswith("signal"))
    hangs = sum(1 for p in problems if p[4] == "timeout")
    print(f"crashes: {crashes}, hangs: {hangs}; slowest run {slowest[0]:.1f} s ({slowest[1]})")
    for problem in problems:
        print("  " + " ".join(problem))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
