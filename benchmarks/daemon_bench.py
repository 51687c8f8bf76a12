#!/usr/bin/env python3
"""Daemon benchmark (issue 3): drop-to-report latency, idle CPU, resident memory.

Starts the release `experiment-advisor serve` on a fresh temporary spool with the bundled
configuration, waits for READY=1 on a real notify socket, then:
  1. latency: drops N proposals one at a time (write .part, rename in) and times each from the
     rename to the moment both report files exist (polled every 0.5 ms);
  2. idle CPU: utime+stime from /proc/PID/stat over an idle minute;
  3. memory: VmRSS at idle after start, and after 1000 proposals.
Baseline, same run: the one-shot CLI (`experiment-advisor predict FILE`, a fresh process per
proposal, as a cron job would do it) on the same proposal: its wall time, CPU time and peak RSS.
Prints one JSON object.
"""
import json, os, resource, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

BIN = sys.argv[1]
PROPOSAL = open("config/proposals/example-minimal.yaml").read()
LATENCY_DROPS = int(os.environ.get("LATENCY_DROPS", "200"))
MEMORY_DROPS = int(os.environ.get("MEMORY_DROPS", "2000"))
# A data drop of this many rows (23 arms) analyzed while 20 proposals arrive one by one behind it.
LOAD_ROWS = int(os.environ.get("LOAD_ROWS", "700000"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def drop(incoming, name, experiment):
    part = os.path.join(incoming, "." + name + ".part")
    with open(part, "w") as f:
        f.write(PROPOSAL.replace("experiment: flu-nudges-2027", "experiment: " + experiment))
    start = time.perf_counter()
    os.rename(part, os.path.join(incoming, name))
    return start


def wait_report(reports, experiment, timeout=60):
    directory = os.path.join(reports, experiment)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            if len(os.listdir(directory)) >= 2:
                return time.perf_counter()
        except FileNotFoundError:
            pass
        time.sleep(0.0005)
    raise SystemExit(f"no report for {experiment} within {timeout} s")


def main():
    work = tempfile.mkdtemp(prefix="advisor-bench-")
    spool = os.path.join(work, "spool")
    incoming, reports = os.path.join(spool, "incoming"), os.path.join(spool, "reports")
    notify_path = os.path.join(work, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(60)

    # Baseline: the one-shot CLI, 20 fresh processes on the same proposal.
    proposal_path = os.path.join(work, "proposal.yaml")
    with open(proposal_path, "w") as f:
        f.write(PROPOSAL)
    cli_wall, cli_cpu, cli_rss = [], [], []
    for _ in range(20):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        process = subprocess.Popen([BIN, "predict", proposal_path], stdout=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        cli_wall.append(time.perf_counter() - t0)
        cli_cpu.append(usage.ru_utime + usage.ru_stime)
        cli_rss.append(usage.ru_maxrss)

    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    for key in ("WATCHDOG_USEC", "INVOCATION_ID", "JOURNAL_STREAM"):
        env.pop(key, None)
    log = open(os.path.join(work, "daemon.log"), "w")
    daemon = subprocess.Popen(
        [BIN, "serve", "--config", os.environ.get("ADVISOR_CONFIG", "config/experiment-advisor.yaml"), "--spool", spool,
         "--state-dir", os.path.join(work, "state"), "--log-target", "stderr"],
        env=env, stderr=log, stdout=subprocess.DEVNULL)
    while b"READY=1" not in notify.recv(4096):
        pass
    # Keep reading, as systemd does: an unread AF_UNIX datagram queue (10 messages) blocks the
    # sender, and the daemon's STATUS= updates would then stall its loop.
    notify.settimeout(None)

    def drain_notify():
        while True:
            notify.recv(4096)

    threading.Thread(target=drain_notify, daemon=True).start()
    rss_start = rss_kib(daemon.pid)

    latencies = []
    for i in range(LATENCY_DROPS):
        experiment = f"lat-{i}"
        start = drop(incoming, f"p{i}.yaml", experiment)
        latencies.append(wait_report(reports, experiment) - start)
        time.sleep(0.02)  # one at a time, as teams drop them

    cpu_before = cpu_seconds(daemon.pid)
    time.sleep(IDLE_SECONDS)
    idle_cpu = cpu_seconds(daemon.pid) - cpu_before
    rss_idle = rss_kib(daemon.pid)

    # 1000 proposals in one burst (the loop takes them one by one), then the memory.
    for i in range(MEMORY_DROPS):
        drop(incoming, f"m{i}.yaml", f"mem-{i}")
    t0 = time.perf_counter()
    wait_report(reports, f"mem-{MEMORY_DROPS - 1}", timeout=3600)
    burst_seconds = time.perf_counter() - t0
    while os.listdir(incoming):
        time.sleep(0.05)
    processed = LATENCY_DROPS + MEMORY_DROPS
    rss_after = rss_kib(daemon.pid)

    # A large drop in the analysis lane, and proposals behind it in theirs.
    load_latencies, analysis_seconds = [], 0.0
    if LOAD_ROWS:
        load = os.path.join(work, "load.csv")
        subprocess.run([BIN, "synthesize", "--units", str(LOAD_ROWS), "--arms", "23", "--sigma", "0.3", "--rho", "0.3",
                        "--s", "0.02", "--output", load], check=True, stdout=subprocess.DEVNULL)
        t_drop = time.perf_counter()
        os.rename(load, os.path.join(incoming, "load.csv"))
        time.sleep(1)
        for i in range(20):
            experiment = f"load-{i}"
            start = drop(incoming, f"l{i}.yaml", experiment)
            load_latencies.append(wait_report(reports, experiment) - start)
            time.sleep(0.02)
        def answered():
            directory = os.path.join(reports, "load")
            return os.path.isdir(directory) and any(n.endswith("-verdict.json") for n in os.listdir(directory))

        deadline = time.time() + 3600
        while not answered():
            if time.time() > deadline:
                raise SystemExit("the load drop was not answered within an hour")
            time.sleep(0.2)
        analysis_seconds = time.perf_counter() - t_drop
        processed += 21

    daemon.terminate()
    exit_code = daemon.wait(timeout=30)
    archived = len(os.listdir(os.path.join(spool, "archive")))
    shutil.rmtree(work)
    print(json.dumps({
        "cpu_count": os.cpu_count(),
        "latency_drops": LATENCY_DROPS,
        "latency_p50_ms": percentile(latencies, 0.5) * 1e3,
        "latency_p99_ms": percentile(latencies, 0.99) * 1e3,
        "latency_max_ms": max(latencies) * 1e3,
        "cli_wall_p50_ms": statistics.median(cli_wall) * 1e3,
        "cli_cpu_p50_ms": statistics.median(cli_cpu) * 1e3,
        "cli_peak_rss_kib": max(cli_rss),
        "idle_seconds": IDLE_SECONDS,
        "idle_cpu_ms": idle_cpu * 1e3,
        "rss_start_kib": rss_start,
        "rss_idle_kib": rss_idle,
        "rss_after_kib": rss_after,
        "memory_drops": MEMORY_DROPS,
        "burst_seconds": burst_seconds,
        "processed": processed,
        "load_rows": LOAD_ROWS,
        "load_latency_p50_ms": percentile(load_latencies, 0.5) * 1e3 if load_latencies else 0,
        "load_latency_max_ms": max(load_latencies) * 1e3 if load_latencies else 0,
        "analysis_seconds": analysis_seconds,
        "archived": archived,
        "exit_code": exit_code,
    }))


if __name__ == "__main__":
    main()
