"""A real one-node SLURM cluster for the tests: munge, slurmctld and slurmd in a private directory.

Facts behind it: shared notes ``slurm-test-cluster.md``; packages: ``.ci/install-slurm.sh``.
The node has two fake GPUs (gres ``gpu:2``, each backed by a character device) so that rules with
``resources: gpu=1`` are schedulable, two at once, and sits in two partitions, ``cpu`` (the default) and
``gpu``, so that a test can route the GPU rules to a GPU partition as a user would. Finished jobs
stay visible to ``scontrol show job`` for an hour (MinJobAge) and are also written to a
job-completion log. The daemons are plain background processes, stopped by their pids.

Clients find the private configuration through ``SLURM_CONF``. Inside a job, Snakemake's
slurm-jobstep plugin strips the ``SLURM_*`` variables before it calls ``srun``, so the cluster's
``bin/`` directory, first on the PATH it hands out, holds ``srun`` and friends as two-line
wrappers that set ``SLURM_CONF`` again. Nothing outside the private directory is touched.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
CLIENTS = ("sbatch", "srun", "squeue", "scontrol", "sinfo", "scancel")
REQUIRED = ("munged", "mungekey", "slurmctld", "slurmd", *CLIENTS)
MIN_JOB_AGE_S = 3600


def unavailable_reason() -> str | None:
    """Why a SLURM cluster cannot be started here, or None if it can."""
    if not sys.platform.startswith("linux"):
        return "the SLURM test cluster needs Linux"
    if os.geteuid() != 0:
        return "the SLURM test cluster needs root (slurmctld/slurmd run as root, munged as munge)"
    missing = [name for name in REQUIRED if shutil.which(name, path=SBIN_PATH) is None]
    if missing:
        return f"SLURM/munge programs missing ({', '.join(missing)}): run .ci/install-slurm.sh"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "no 'munge' user: the munge package is not installed properly"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def _parse_record(line: str) -> dict[str, str]:
    """``Key=value Key2=value2 ...`` (values without spaces, possibly holding '=') to a dict."""
    return dict(re.findall(r"(?:^|\s)([A-Za-z][\w:/]*)=(\S*)", line))


@dataclass
class SlurmCluster:
    """A running private cluster; ``env`` is what a client (sbatch, snakemake) needs."""

    root: Path
    node: str
    cpus: int
    memory_mb: int
    munge_dir: Path | None = None
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    @property
    def jobcomp_log(self) -> Path:
        return self.root / "log" / "jobcomp.log"

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def env(self) -> dict[str, str]:
        """The environment of a client: SLURM_CONF set, the client wrappers first on the PATH."""
        return {**os.environ, "SLURM_CONF": str(self.conf), "PATH": f"{self.bin_dir}{os.pathsep}{SBIN_PATH}"}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, check=check, timeout=30)

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still knows (all states), as ``scontrol show job`` fields."""
        out = self.run("scontrol", "show", "job", "--oneliner", check=False)
        if out.returncode != 0 and "No jobs in the system" not in out.stdout + out.stderr:
            raise RuntimeError(f"scontrol show job failed: {out.stderr}")
        return [_parse_record(line) for line in out.stdout.splitlines() if line.startswith("JobId=")]

    def completed_jobs(self) -> list[dict[str, str]]:
        """The job-completion log (JobCompType=jobcomp/filetxt), one dict per finished job."""
        if not self.jobcomp_log.exists():
            return []
        return [_parse_record(line) for line in self.jobcomp_log.read_text().splitlines() if line.strip()]

    def node_state(self) -> str:
        out = self.run("sinfo", "--noheader", "--Node", "--format=%T", check=False)
        return out.stdout.strip().split("\n")[0] if out.returncode == 0 else ""

    def stop(self) -> None:
        """Cancel what is left of the jobs, then stop slurmd, slurmctld, munged by their pids."""
        if "slurmctld" in self.pids:
            self.run("scancel", "--full", f"--nodelist={self.node}", check=False)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.pop(name, None)
            if pid is not None:
                _terminate(pid)
        if self.munge_dir is not None:
            shutil.rmtree(self.munge_dir, ignore_errors=True)
            self.munge_dir = None


def _terminate(pid: int, grace_s: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child, or already reaped
            done = 0 if _alive(pid) else pid
        if done == pid:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(what: str, condition, timeout_s: float, logs: list[Path], procs=()) -> None:
    """Poll ``condition`` until true; fail naming the logs on timeout or when a daemon exits."""
    deadline = time.monotonic() + timeout_s
    problem = f"timed out after {timeout_s:.0f} s"
    while time.monotonic() < deadline:
        if condition():
            return
        dead = [proc for proc in procs if proc.poll() is not None]
        if dead:
            problem = f"{dead[0].args[0]} exited with {dead[0].returncode}"
            break
        time.sleep(0.2)
    tails = "\n".join(f"--- {log}\n{log.read_text()[-2000:]}" for log in logs if log.exists())
    raise RuntimeError(f"SLURM test cluster: {problem} waiting for {what}\n{tails}")


GPUS = 2


def _gpu_devices(root: Path) -> list[Path]:
    """Character devices for the fake GPUs (the numbers of /dev/null and /dev/zero); those two themselves
    where mknod is refused."""
    devices = []
    for i, (minor, fallback) in enumerate([(3, "/dev/null"), (5, "/dev/zero")][:GPUS]):
        device = root / f"gpu{i}"
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        except OSError:
            device = Path(fallback)
        devices.append(device)
    return devices


def _slurm_conf(root: Path, node: str, cpus: int, memory_mb: int, munge_socket: Path) -> str:
    ctl_port, d_port = _free_port(), _free_port()
    return f"""\
ClusterName=mdgantest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctl_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge={MIN_JOB_AGE_S}
SchedulerParameters=sched_interval=1
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:{GPUS} State=UNKNOWN
PartitionName=cpu Nodes={node} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={node} Default=NO MaxTime=INFINITE State=UP
"""


def start_cluster(root: Path, timeout_s: float = 60.0) -> SlurmCluster:
    """Start munged, slurmctld and slurmd under ``root`` and wait until the node is idle.

    On failure everything already started is stopped again and the error names the logs.
    """
    root = Path(root).resolve()
    for sub in ("etc", "state", "spool", "run", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    cluster = SlurmCluster(
        root=root,
        node=socket.gethostname().split(".")[0],
        cpus=len(os.sched_getaffinity(0)),
        memory_mb=int(_memory_mb() * 0.8),
    )
    try:
        _start_munge(cluster)
        _start_slurm(cluster, timeout_s)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_munge(cluster: SlurmCluster) -> None:
    """munged as user munge with its own key, socket and files in a directory of its own.

    munged refuses a socket directory that not everyone can search, and every directory above it
    must be searchable too, so that directory lives in /tmp, not below pytest's private tmp dirs.
    """
    munge = pwd.getpwnam("munge")
    munge_dir = Path(tempfile.mkdtemp(prefix="mdgan-munge-", dir="/tmp" if Path("/tmp").is_dir() else None))
    cluster.munge_dir = munge_dir
    munge_dir.chmod(0o755)
    os.chown(munge_dir, munge.pw_uid, munge.pw_gid)
    key = munge_dir / "munge.key"
    subprocess.run(
        [shutil.which("mungekey", path=SBIN_PATH), "--create", f"--keyfile={key}"],
        user=munge.pw_uid, group=munge.pw_gid, check=True, capture_output=True,
    )
    socket_path = munge_dir / "munge.socket"
    log = munge_dir / "munged.log"
    startup_log = munge_dir / "munged.stderr"
    proc = subprocess.Popen(
        [
            shutil.which("munged", path=SBIN_PATH), "--foreground",
            f"--socket={socket_path}", f"--key-file={key}", f"--pid-file={munge_dir / 'munged.pid'}",
            f"--log-file={log}", f"--seed-file={munge_dir / 'munged.seed'}",
        ],
        user=munge.pw_uid, group=munge.pw_gid, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=startup_log.open("w"),
    )
    cluster.pids["munged"] = proc.pid
    _wait_for("munged's socket", socket_path.exists, 15, [startup_log, log], [proc])


def _start_slurm(cluster: SlurmCluster, timeout_s: float) -> None:
    root = cluster.root
    munge_socket = cluster.munge_dir / "munge.socket"
    cluster.conf.write_text(_slurm_conf(root, cluster.node, cluster.cpus, cluster.memory_mb, munge_socket))
    (root / "etc" / "gres.conf").write_text(
        "AutoDetect=off\n" + "".join(f"NodeName={cluster.node} Name=gpu File={d}\n" for d in _gpu_devices(root))
    )
    cluster.bin_dir.mkdir(exist_ok=True)
    for client in CLIENTS:
        wrapper = cluster.bin_dir / client
        wrapper.write_text(
            f'#!/bin/sh\nSLURM_CONF="{cluster.conf}" exec {shutil.which(client, path=SBIN_PATH)} "$@"\n'
        )
        wrapper.chmod(0o755)
    logs = [root / "log" / "slurmctld.log", root / "log" / "slurmd.log"]
    ctl = subprocess.Popen(
        [shutil.which("slurmctld", path=SBIN_PATH), "-D", "-i", "-f", str(cluster.conf)],
        env=cluster.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    cluster.pids["slurmctld"] = ctl.pid
    _wait_for("slurmctld to answer ping", lambda: "UP" in cluster.run("scontrol", "ping", check=False).stdout,
              timeout_s, logs, [ctl])
    slurmd = subprocess.Popen(
        [shutil.which("slurmd", path=SBIN_PATH), "-D", "-N", cluster.node, "-f", str(cluster.conf)],
        env=cluster.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    cluster.pids["slurmd"] = slurmd.pid

    def node_idle() -> bool:
        state = cluster.node_state()
        if state.startswith(("drain", "down")):
            cluster.run("scontrol", "update", f"nodename={cluster.node}", "state=resume", check=False)
        return state == "idle"

    _wait_for("the node to be idle", node_idle, timeout_s, logs, [ctl, slurmd])
