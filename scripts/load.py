#!/usr/bin/env python3
"""Closed-loop HTTP load on `hallmark serve` (stdlib only), used by scripts/load.sh.

    load.py URL TOKEN FILE --clients N --seconds S [--pid PID]

Each client posts FILE to URL/v1/verify, waits for the answer and posts again, for S seconds.
Prints one JSON object: statuses, throughput of 200s, latency percentiles per status, and the
server's peak and last RSS (sampled from /proc/PID/status every 0.1 s) when --pid is given.
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
    ap.add_argument("--pid", type=int)
    args = ap.parse_args()
    body = open(args.file, "rb").read()
    target = urllib.parse.urlparse(args.url)
    results = []  # (status or error name, seconds)
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds
    rss = []
    sampling = True

    def sample():
        while sampling:
            value = rss_kib(args.pid)
            if value is not None:
                rss.append(value)
            time.sleep(0.1)

    def client():
        while time.monotonic() < stop_at:
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

    sampler = threading.Thread(target=sample, daemon=True)
    if args.pid:
        sampler.start()
    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
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
        "rss_peak_mib": round(max(rss) / 1024, 1) if rss else None,
        "rss_last_mib": round(rss[-1] / 1024, 1) if rss else None,
        "server_alive": (rss_kib(args.pid) is not None) if args.pid else None,
    }))

if __name__ == "__main__":
    main()
