#!/usr/bin/env python3
"""Leak-tracing matrix: stamp copies of one source for several accounts, make the copies a leaker
or a group of leakers would post (averages, interleaves, splices, repost-style re-encodes), trace
each with `hallmark trace --format json`, and print who was named.

    python3 scripts/collusion.py SOURCE.mp4 [--size WxH] [--seconds 3] [--copies 8]
                                 [--rows avg2,avg3,...] [--hallmark .build/release/hallmark]

--size scales (and centre-crops to the aspect of) the source first, to try small generator
outputs (640x272, 854x480, 832x480) from a larger clip. Every row is traced against the whole
registry of this run's copies (the source's candidate set). A row passes when every account
named contributed to the copy; "named" lists each with its false-accusation probability.
Exit status 1 if an innocent account was ever named.
"""
import argparse, json, os, subprocess, sys, tempfile

ROWS = {
    # name: (contributing copy indices, ffmpeg filter over the inputs, encoder arguments)
    "single-crf23": ([0], "[0:v]null[v]", ["-c:v", "libx264", "-crf", "23"]),
    "crop0.9-crf30": ([0], "[0:v]crop=iw*0.9:ih*0.9,scale=trunc(iw/2)*2:trunc(ih/2)*2[v]", ["-c:v", "libx264", "-crf", "30"]),
    "resize0.71-crf28": ([0], "[0:v]scale=trunc(iw*0.71/2)*2:trunc(ih*0.71/2)*2[v]", ["-c:v", "libx264", "-crf", "28"]),
    "h265-crf30": ([0], "[0:v]null[v]", ["-c:v", "libx265", "-crf", "30", "-x265-params", "log-level=error"]),
    "avg2": ([0, 1], "[0:v][1:v]mix=inputs=2[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg3": ([0, 1, 2], "[0:v][1:v][2:v]mix=inputs=3[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg4": ([0, 1, 2, 3], "[0:v][1:v][2:v][3:v]mix=inputs=4[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg6": (list(range(6)), "".join(f"[{i}:v]" for i in range(6)) + "mix=inputs=6[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg8": (list(range(8)), "".join(f"[{i}:v]" for i in range(8)) + "mix=inputs=8[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg2-3:1": ([0, 1], "[0:v][1:v]mix=inputs=2:weights=3 1[v]", ["-c:v", "libx264", "-crf", "23"]),
    "avg3-2:1:1": ([0, 1, 2], "[0:v][1:v][2:v]mix=inputs=3:weights=2 1 1[v]", ["-c:v", "libx264", "-crf", "23"]),
    "interleave2": ([0, 1], "[0:v][1:v]blend=all_expr='if(mod(N,2),B,A)'[v]", ["-c:v", "libx264", "-crf", "23"]),
    "splice2": ([0, 1], None, ["-c:v", "libx264", "-crf", "23"]),
}
DEFAULT_ROWS = ["single-crf23", "crop0.9-crf30", "resize0.71-crf28", "h265-crf30", "avg2", "avg3", "avg4",
                "avg2-3:1", "avg3-2:1:1", "interleave2", "splice2", "unmarked"]


def run(args, env=None, check=True):
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(args)}\n{result.stderr.strip()}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("--size")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--rows", default=",".join(DEFAULT_ROWS))
    parser.add_argument("--hallmark", default=".build/release/hallmark")
    parser.add_argument("--trials", type=int, default=1, help="single-copy rows: attack each of the first N copies")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="hallmark-collusion-")
    env = dict(os.environ, HALLMARK_HOME=os.path.join(work, "home"))
    hallmark = os.path.abspath(options.hallmark)
    run([hallmark, "keys", "init", "--dev"], env)

    # The generation: the source cut to the clip length (and scaled), nearly lossless.
    source = os.path.join(work, "source.mp4")
    vf = ["-vf", f"scale={options.size.replace('x', ':')}:force_original_aspect_ratio=increase,crop={options.size.replace('x', ':')}"] if options.size else []
    run(["ffmpeg", "-v", "error", "-y", "-i", options.source, "-t", str(options.seconds), *vf, "-an",
         "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", source])
    copies, accounts = [], []
    for index in range(options.copies):
        account = f"acct{index + 1}"
        copy = os.path.join(work, f"copy{index + 1}.mp4")
        run([hallmark, "stamp", source, "--account", account, "-o", copy], env)
        copies.append(copy)
        accounts.append(account)

    innocent_named = 0
    size = options.size or "source size"
    print(f"| {os.path.basename(options.source)} {size}, {options.seconds:g} s | contributors | named (false-accusation probability) | innocent named |")
    print("|---|---|---|---|")
    jobs = []
    for row in options.rows.split(","):
        single = row != "unmarked" and len(ROWS[row][0]) == 1
        for trial in range(options.trials if single else 1):
            jobs.append((row, trial))
    for row, trial in jobs:
        suspect = os.path.join(work, f"{row}-{trial}.mp4")
        if row == "unmarked":
            contributors = []
            run(["ffmpeg", "-v", "error", "-y", "-i", source, "-c:v", "libx264", "-crf", "23", suspect])
        else:
            contributors, graph, encoder = ROWS[row]
            contributors = [c + trial for c in contributors]
            inputs = [a for i in contributors for a in ("-i", copies[i])]
            if graph is None:  # splice: first half from the first copy, the rest from the second
                half = options.seconds / 2
                graph = (f"[0:v]trim=0:{half},setpts=PTS-STARTPTS[x];[1:v]trim={half}:{options.seconds},"
                         "setpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=1[v]")
            run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]",
                 *encoder, "-preset", "medium", "-pix_fmt", "yuv420p", suspect])
        result = run([hallmark, "trace", suspect, "--format", "json"], env, check=False)
        try:
            trace = json.loads(result.stdout)["trace"]
        except (ValueError, KeyError):
            print(f"| {row} | - | trace failed ({result.returncode}): {result.stderr.strip()[:120]} | - |")
            continue
        named = []
        innocents = 0
        for accused in trace.get("accused") or []:
            probability = accused["falseAccusationProbability"]
            shown = "below 1e-15" if accused.get("probabilityIsBound") else f"{probability:.1e}"
            guilty = accused["account"] in [accounts[i] for i in contributors]
            innocents += 0 if guilty else 1
            named.append(f"{accused['account']} {shown} ({accused['evidence']}){'' if guilty else ' INNOCENT'}")
        innocent_named += innocents
        who = ", ".join(accounts[i] for i in contributors) or "none"
        print(f"| {row}{f' #{trial + 1}' if trial else ''} | {who} | {'; '.join(named) or 'nobody'} | {innocents} |")
    if options.keep:
        print(f"working folder: {work}")
    else:
        subprocess.run(["rm", "-rf", work])
    sys.exit(1 if innocent_named else 0)


if __name__ == "__main__":
    main()
