#!/usr/bin/env python3
"""Closed-loop HTTP load on `hallmark serve` (stdlib only), used by scripts/load.sh.

    load.py URL[,URL...] TOKEN FILE --clients N --seconds S [--pid PID[,PID...]]

Each client posts FILE to one URL's /v1/verify (clients are spread round-robin over the URLs,
standing in for a load balancer, which also moves a client to the next URL when its instance
refuses connections), waits for the answer and posts again, for S seconds.
Prints one JSON object: statuses, throughput of 200s, latency percentiles per status, and the
servers' peak RSS (each sampled from /proc/PID/status every 0.1 s; the largest of them, and the
peak of their sum) when --pid is given.
"""
import argparse, http.client, json, os, threading, time, urllib.parse

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None

def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url"); ap.add_argument("token"); ap.add_argument("file")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pid")
    args = ap.parse_args()
    body = open(args.file, "rb").read()
    targets = [urllib.parse.urlparse(u) for u in args.url.split(",")]
    pids = [int(p) for p in args.pid.split(",")] if args.pid else []
    results = []  # (status or error name, seconds)
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds
    rss = []  # one tuple per sample: each server's RSS in KiB
    sampling = True

    def sample():
        while sampling:
            values = tuple(rss_kib(pid) or 0 for pid in pids)
            if any(values):
                rss.append(values)
            time.sleep(0.1)

    def client(index):
        while time.monotonic() < stop_at:
            target = targets[index % len(targets)]
            start = time.monotonic()
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
            try:
                conn.request("POST", "/v1/verify", body=body, headers={
                    "Authorization": f"Bearer {args.token}", "Content-Type": "video/mp4"})
                response = conn.getresponse()
                response.read()
                outcome = response.status
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer 429 and close before the whole body is sent; the answer
                # is then read here if it arrived, else the reset is counted as such.
                try:
                    response = conn.getresponse(); response.read(); outcome = response.status
                except Exception:
                    outcome = "reset"
            except Exception as error:
                outcome = type(error).__name__
            finally:
                conn.close()
            with lock:
                results.append((outcome, time.monotonic() - start))
            if outcome == 429:
                time.sleep(0.05)  # a client that retries at once, all but spinning
            elif outcome == "ConnectionRefusedError":
                index += 1  # as a load balancer would: that instance is gone, use the next one

    sampler = threading.Thread(target=sample, daemon=True)
    if pids:
        sampler.start()
    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.monotonic() - began
    sampling = False
    statuses = {}
    for outcome, _ in results:
        statuses[str(outcome)] = statuses.get(str(outcome), 0) + 1
    def lat(filter_status):
        values = [s for o, s in results if o == filter_status]
        return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99),
                "max": max(values) if values else None}
    print(json.dumps({
        "clients": args.clients, "seconds": round(elapsed, 1), "statuses": statuses,
        "throughput_ok_per_s": round(statuses.get("200", 0) / elapsed, 3),
        "latency_200": lat(200), "latency_429": lat(429),
        "instances": len(targets),
        "rss_peak_mib": round(max(max(r) for r in rss) / 1024, 1) if rss else None,
        "rss_peak_sum_mib": round(max(sum(r) for r in rss) / 1024, 1) if rss else None,
        "servers_alive": sum(rss_kib(pid) is not None for pid in pids) if pids else None,
    }))

if __name__ == "__main__":
    main()
