"""The office server under N simulated laptops over loopback (TLS, real uvicorn process, real PostgreSQL).

Each laptop (a copy of the office database) takes assessments through the real workflow (answers, signatures,
submission signed by both assessors) and exports one bundle per assessment (``prepared.py``); then all laptops
push at once, each push acknowledged once stored and queued, then verified and replayed by the server's queue
(every PAdES and CMS signature checked) while the laptop waits for the outcome as a sync does. Reported: p50/p99
of a push's acknowledgement and of acknowledged -> applied (the queue's timestamps), throughput counted on
applied pushes, the server's peak RSS, and — the baseline, same run, same bundles —
``bundle import`` of every bundle into one SQLite office database. Small by default; the issue's full size is
``LTC_BENCH_LAPTOPS=100 LTC_BENCH_ASSESSMENTS=10000``, whose preparation (about 0.44 s of CPU per assessment,
kept on disk per code version and resumable) takes about 40 minutes on 2 idle cores. Also reported: CPU per
push of the server, PostgreSQL and the laptops, which do not depend on how loaded the machine is, and what 2
idle cores would therefore take; ``--burst`` laptops push one assessment each at the same instant first (the
p99 "with 50 clients at once").

    .venv/bin/python bench/bench_server.py [--laptops 4] [--assessments 24]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ltc_assess.bundles import import_bundle
from ltc_assess.server.enrol import enrol
from ltc_assess.service import ROOT_KEY, AssessmentService
from ltc_assess.signing.keys import KeyPair
from ltc_assess.signing.tls import issue_server
from ltc_assess.storage.pg.migrations import migrate
from ltc_assess.storage.pg.repository import session
from ltc_assess.sync_client import ServerClient
from ltc_assess.sync_http import settled

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepared import prepare, working_copy  # noqa: E402 - bench/ is no package

ADMIN_DB = os.environ.get("LTC_TEST_PG", "dbname=postgres")


def rss_peaks_mb(pid: int) -> list[float]:
    """Peak resident memory of the server's processes (the supervisor, then each worker), MB."""
    peak = next(int(line.split()[1]) / 1024 for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:"))  # fmt: skip
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [peak, *(mb for c in children for mb in rss_peaks_mb(int(c)))]


def load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU time of a process (and, with ``children``, every process under it) so far; 0 for a
    process that has ended meanwhile (a PostgreSQL backend whose pooled connection closed)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if children:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total += sum(cpu_seconds(int(c)) for c in kids)
    return total


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


@dataclass
class Pushes:
    """One phase: per push the acknowledgement latency (upload, queued: the 202) as the laptop saw it, and the
    push ids, whose acknowledged -> applied times the server's queue holds."""

    acks: list[float] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0  # wall clock (time.time) when the laptops began


def run_pushes(clients: dict[str, ServerClient], work: dict[str, list[Path]]) -> Pushes:
    """Each laptop (one thread) pushes its bundles as a sync does (each acknowledged, then waited for until
    applied), all laptops starting at the same instant."""
    done = Pushes()
    start = threading.Barrier(len(work))

    def laptop(user: str) -> None:
        start.wait()
        try:
            for path in work[user]:
                t0 = time.perf_counter()
                push = clients[user].send(path)
                done.acks.append(time.perf_counter() - t0)
                done.ids.append(push["id"])
                result = settled(clients[user].outcome(push, time.monotonic() + 3600))
                if len(result.get("added", [])) != 1:
                    done.errors.append(f"{path.name}: {result}")
            clients[user].call("GET", "/api/v1/sync/tasks")
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            done.errors.append(f"{user}: {exc}")

    done.started = time.time()
    threads = [threading.Thread(target=laptop, args=(u,)) for u in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done


def applied(conninfo: str, phase: Pushes) -> tuple[list[float], float]:
    """Acknowledged -> applied per push (the queue's own timestamps), and the phase's wall time until its last
    push was applied."""
    with psycopg.connect(conninfo) as con:
        rows = con.execute(
            "SELECT extract(epoch FROM done_at - queued_at), extract(epoch FROM done_at) FROM push_queue"
            " WHERE id = ANY(%s) AND state = 'applied'",
            [phase.ids],
        ).fetchall()
    waits = [float(r[0]) for r in rows]
    last = max((float(r[1]) for r in rows), default=phase.started)
    return waits, last - phase.started


def latency(label: str, values: list[float]) -> str:
    return f"{label} p50 {pct(values, 50):.2f} s, p99 {pct(values, 99):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--laptops", type=int, default=int(os.environ.get("LTC_BENCH_LAPTOPS", 4)))
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--burst", type=int, default=50, help="laptops pushing one assessment at the same instant")
    parser.add_argument("--assessments", type=int, default=int(os.environ.get("LTC_BENCH_ASSESSMENTS", 24)))
    args = parser.parse_args()
    per_laptop = max(1, args.assessments // args.laptops)
    tmp = Path(tempfile.mkdtemp(prefix="bench-server-"))
    dbname = f"ltc_bench_{os.getpid()}"
    print(load(), flush=True)
    t0 = time.perf_counter()
    work = prepare(args.laptops, per_laptop)
    log = work.office.parent / "made"
    made = log.read_text().strip().replace("\n", "; ") if log.exists() else "earlier"
    print(f"set-up: {args.laptops} laptops x {per_laptop} signed submissions ({time.perf_counter() - t0:.0f} s now; "
          f"made in {work.office.parent.name}: {made})", flush=True)  # fmt: skip
    base = AssessmentService(working_copy(work, tmp), key=work.key)
    bundles = work.bundles
    root = base.root_certificate()
    with psycopg.connect(ADMIN_DB, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {dbname}")
    conninfo = f"{ADMIN_DB.replace('dbname=postgres', '')} dbname={dbname}".strip()
    proc = None
    try:
        migrate(conninfo)
        admin = base.store.user_by_name("admin")
        with session(conninfo) as store:
            enrol(base, admin, store)  # type: ignore[arg-type]
        cert, key = issue_server(
            KeyPair(root, (base.store.setting(ROOT_KEY) or "").encode()),
            "root-passphrase",
            ["127.0.0.1"],
            dt.datetime.now(dt.UTC),
        )
        (tmp / "tls.pem").write_bytes(cert)
        (tmp / "tls.key").write_bytes(key)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "ltc_assess", "server", "--pg", conninfo, "--listen", f"127.0.0.1:{port}",
             "--tls-cert", str(tmp / "tls.pem"), "--tls-key", str(tmp / "tls.key"), "--workers", str(args.workers)],
        )  # fmt: skip
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        url = f"https://127.0.0.1:{port}"
        keys = {u: base.store.user_key(base.store.user_by_name(u).id) for u in bundles}  # type: ignore[union-attr]
        burst = sorted(bundles)[: args.burst]
        clients: dict[str, ServerClient] = {}
        for user in bundles:  # every laptop logged in before the clock starts
            clients[user] = ServerClient(url, root)
            stored = keys[user]
            clients[user].login(user, stored[0], stored[1], f"{user}-password", root)  # type: ignore[index]
        cpu0 = cpu_seconds(proc.pid), time.process_time()
        # phase 1: `burst` laptops push one assessment each at the same instant
        burst_phase = run_pushes(clients, {u: bundles[u][:1] for u in burst})
        # phase 2: every laptop pushes the rest of its work at once, then pulls its tasks
        phase = run_pushes(clients, {u: bundles[u][1 if u in burst else 0 :] for u in bundles})
        errors = burst_phase.errors + phase.errors
        cpu1 = cpu_seconds(proc.pid), time.process_time()
        burst_applied, burst_s = applied(conninfo, burst_phase)
        phase_applied, server_s = applied(conninfo, phase)
        with psycopg.connect(conninfo) as con:
            backends = [r[0] for r in con.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [dbname])]
        pg_cpu = sum(cpu_seconds(pid, children=False) for pid in backends)
        peaks = rss_peaks_mb(proc.pid)
        rss = sum(peaks)
        for client in clients.values():
            client.close()
        total = sum(len(b) for b in bundles.values())
        pushed = total - len(burst)
        server_cpu, client_cpu = (cpu1[0] - cpu0[0]) / total, (cpu1[1] - cpu0[1]) / total
        per_push = server_cpu + pg_cpu / total + client_cpu
        print(
            f"burst: {len(burst)} laptops push one assessment each at once: "
            f"{latency('acknowledged', burst_phase.acks)}; {latency('acknowledged -> applied', burst_applied)}; "
            f"all {len(burst_applied)} applied after {burst_s:.1f} s"
        )
        print(
            f"server: {pushed} one-assessment pushes from {len(bundles)} laptops at once, applied in {server_s:.1f} s "
            f"({len(phase_applied) / max(server_s, 1e-9):.1f} applied/s); {latency('acknowledged', phase.acks)}; "
            f"{latency('acknowledged -> applied', phase_applied)}; "
            f"server peak RSS {rss:.0f} MB ({' + '.join(f'{mb:.0f}' for mb in peaks)}: supervisor, workers); "
            f"errors {len(errors)}; {load()}"
        )
        print(
            f"CPU per push: server {server_cpu * 1000:.0f} ms, PostgreSQL {pg_cpu / total * 1000:.0f} ms, "
            f"laptops (TLS, hashing) {client_cpu * 1000:.0f} ms: 2 idle cores would take about "
            f"{2 / per_push:.0f} pushes/s, 10,000 in {10_000 * per_push / 2 / 60:.1f} min",
            flush=True,
        )
        for e in errors[:5]:
            print("  error:", e)
        # baseline: the same bundles through `bundle import` into one SQLite office database
        sup1 = base.store.user_by_name("sup1")
        t0, c0 = time.perf_counter(), time.process_time()
        for user_bundles in bundles.values():
            for path in user_bundles:
                import_bundle(base, sup1, path)  # type: ignore[arg-type]
        sqlite_s, sqlite_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"baseline: bundle import into SQLite, one after another: {sqlite_s:.1f} s ({total / sqlite_s:.1f}/s), "
            f"CPU {sqlite_cpu / total * 1000:.0f} ms each"
        )
        print(
            f"ratio server/baseline: wall time {server_s / pushed / (sqlite_s / total):.2f}, "
            f"CPU (server + PostgreSQL) {(server_cpu + pg_cpu / total) / (sqlite_cpu / total):.2f}"
        )
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("the server did not stop within 30 s of SIGTERM: killed", flush=True)
                proc.kill()
                proc.wait()
        with psycopg.connect(ADMIN_DB, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        base.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
