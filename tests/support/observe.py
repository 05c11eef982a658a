"""What a process really does on the network and the disk, seen with strace (issue 22).

``observe(cmd, env)`` runs ``cmd`` (and every process it starts) under ``strace -f`` and
returns an :class:`Observation`: the addresses it tried to reach (``network``: every
connect, and every send that names an address) and the paths it created (``files_created``).
``Observation.problems(home)`` lists what breaks the README's promise that nothing leaves the
machine: a connection off the loopback, a DNS lookup, a file under ``~/.cache/Microsoft``
(where onnxruntime 1.32 queues its telemetry). Used by tests/release/test_privacy.py and
bench/fuzz_cli.py.

It sees system calls, so it catches a dependency's background thread as well as our own
code, whether or not the machine has a network: the attempt is what counts. A lookup that a
resolver daemon makes for us over a local socket (nscd, systemd-resolved's varlink socket)
shows only as that socket (``Contact.is_dns`` for systemd-resolved's).
"""

from __future__ import annotations

import codecs
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The system calls traced; "?" lets strace skip those an architecture lacks (open on arm64).
TRACED = (
    "connect",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "openat",
    "?open",
    "?openat2",
    "?creat",
    "?mkdir",
    "mkdirat",
    "?rename",
    "renameat",
    "?renameat2",
    "?link",
    "linkat",
    "?symlink",
    "symlinkat",
)

#: Local sockets a lookup goes through: a connect there is a DNS lookup made for us.
RESOLVER_SOCKETS = ("/run/systemd/resolve/io.systemd.Resolve",)

DNS_PORT = 53

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_CALL = re.compile(r"^(\w+)\((.*)$")
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
_RESULT = re.compile(r"\)\s+=\s+(-?\d+)(<.*>)?(?:\s+\w+ \(.*\))?$")
_STRING = r'"((?:[^"\\]|\\.)*)"'
_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(
    r"sa_family=AF_INET6, sin6_port=htons\((\d+)\).*?"
    r'inet_pton\(AF_INET6, "([^"]+)"'
)
_UNIX = re.compile(r"sa_family=AF_UNIX, sun_path=(@?)" + _STRING)
_DIRFD = re.compile(r"^(AT_FDCWD|\d+)(?:<([^>]*)>)?, " + _STRING)
_FIRST_STRING = re.compile(r"^" + _STRING)
_STRINGS = re.compile(_STRING)


@dataclass(frozen=True)
class Contact:
    """One try to reach an address: a connect, or a send that names its address.

    Attributes:
        pid: the process (or thread) that made the call.
        call: the system call (connect, sendto, sendmsg, sendmmsg).
        family: AF_INET, AF_INET6 or AF_UNIX.
        address: the IP address, or the socket's path ("@name": an abstract socket).
        port: the port (None for AF_UNIX).
    """

    pid: int
    call: str
    family: str
    address: str
    port: int | None

    @property
    def is_dns(self) -> bool:
        """A name lookup: port 53 anywhere (127.0.0.53 too), or a resolver's local socket."""
        return self.port == DNS_PORT or self.address in RESOLVER_SOCKETS

    @property
    def leaves_machine(self) -> bool:
        """An internet address other than the loopback (or the unspecified one, which is)."""
        if self.family == "AF_UNIX":
            return False
        ip = ipaddress.ip_address(self.address.split("%")[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped if mapped is not None else ip
        return not (ip.is_loopback or ip.is_unspecified)

    def __str__(self) -> str:
        where = self.address if self.port is None else f"{self.address} port {self.port}"
        return f"{self.call} to {where} ({self.family}, pid {self.pid})"


@dataclass(frozen=True)
class Observation:
    """What a command did, from its strace log.

    Attributes:
        returncode: its exit status (negative: killed by that signal; -9 after the timeout).
        stdout, stderr: its output, decoded as UTF-8 (errors replaced).
        network: every address it tried to reach, in order.
        files_created: every path it opened with O_CREAT (created, or opened to be written),
            made with mkdir, or renamed or linked to; resolved to absolute paths.
        timed_out: it was killed after ``timeout_s``.
    """

    returncode: int
    stdout: str
    stderr: str
    network: tuple[Contact, ...]
    files_created: tuple[Path, ...]
    timed_out: bool = False

    @property
    def leaks(self) -> list[Contact]:
        """The contacts that break the promise: DNS lookups and non-loopback addresses."""
        return [c for c in self.network if c.is_dns or c.leaves_machine]

    def created_under(self, folder: str | Path) -> list[Path]:
        folder = Path(folder)
        return [p for p in self.files_created if p == folder or folder in p.parents]

    def problems(self, home: str | Path) -> list[str]:
        """What breaks "nothing leaves the machine", one line each; [] when nothing does."""
        found = [f"network: {c}" for c in self.leaks]
        found += [f"wrote {p}" for p in self.created_under(Path(home) / ".cache" / "Microsoft")]
        return found


def strace_problem() -> str | None:
    """Why ``observe`` cannot run here (no strace, or no ptrace in this container); None if
    it can."""
    exe = shutil.which("strace")
    if exe is None:
        return "strace is not installed (apt-get install strace)"
    try:
        done = subprocess.run(
            [exe, "-f", "-qq", "-o", os.devnull, "true"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"strace does not run: {e}"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        return f"strace cannot trace here: {why[-1] if why else done.returncode}"
    return None


def observe(
    cmd: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    *,
    stdin: bytes = b"",
    hold_stdin_s: float = 0.0,
    timeout_s: float = 300.0,
) -> Observation:
    """Run ``cmd`` under strace and return what it did.

    ``stdin`` is written to it; its standard input then stays open ``hold_stdin_s`` more
    seconds (a reader such as ``python -m engine recognize -`` stays alive that long, as a
    user writing slowly would keep it), unless it exits first. After ``timeout_s`` in all the
    command and its children are killed (``timed_out``).
    """
    problem = strace_problem()
    if problem is not None:
        raise RuntimeError(problem)
    workdir = Path(cwd) if cwd is not None else Path.cwd()
    with tempfile.TemporaryDirectory(prefix="xiezi-observe-") as tmp:
        log, out, err = Path(tmp, "strace.log"), Path(tmp, "stdout"), Path(tmp, "stderr")
        args = [
            "strace",
            "-f",
            "-qq",
            "-y",
            "-s",
            "4096",
            "-e",
            "signal=none",
            "-e",
            "trace=" + ",".join(TRACED),
            "-o",
            str(log),
            "--",
            *cmd,
        ]
        with out.open("wb") as fo, err.open("wb") as fe:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=fo,
                stderr=fe,
                env=dict(env) if env is not None else None,
                cwd=workdir,
                start_new_session=True,
            )
            deadline = time.monotonic() + timeout_s
            assert proc.stdin is not None
            try:
                proc.stdin.write(stdin)
                proc.stdin.flush()
                hold_until = min(time.monotonic() + hold_stdin_s, deadline)
                while proc.poll() is None and time.monotonic() < hold_until:
                    time.sleep(0.05)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            timed_out = False
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)  # strace and everything it traces
                proc.wait()
        network, files = parse_strace(log.read_text(encoding="utf-8", errors="replace"), workdir)
        return Observation(
            proc.returncode,
            out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"),
            network,
            files,
            timed_out,
        )


def parse_strace(text: str, cwd: Path) -> tuple[tuple[Contact, ...], tuple[Path, ...]]:
    """(contacts, created paths) of an ``strace -f -y`` log; ``cwd``: where relative paths
    start when the log does not say (``-y`` shows it as ``AT_FDCWD</path>``)."""
    pending: dict[int, str] = {}
    cwds: dict[int, str] = {}
    contacts: list[Contact] = []
    files: list[Path] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if m is None:
            continue
        pid, rest = int(m.group(1)), m.group(2)
        resumed = _RESUMED.match(rest)
        if resumed is not None:
            rest = pending.pop(pid, resumed.group(1) + "(") + resumed.group(2)
        elif rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        call = _CALL.match(rest)
        if call is None:
            continue
        name, body = call.group(1), call.group(2)
        at = re.search(r"AT_FDCWD<([^>]*)>", body)
        if at is not None:
            cwds[pid] = _unescape(at.group(1))
        if name in ("connect", "sendto", "sendmsg", "sendmmsg"):
            contacts.extend(_contacts(pid, name, body))
            continue
        result = _RESULT.search(body)
        if result is None or int(result.group(1)) < 0:
            continue
        path = _created(name, body, result.group(2), cwds.get(pid, str(cwd)))
        if path is not None:
            files.append(path)
    return tuple(contacts), tuple(dict.fromkeys(files))


def _contacts(pid: int, call: str, body: str) -> list[Contact]:
    found = [Contact(pid, call, "AF_INET", a, int(p)) for p, a in _INET.findall(body)]
    found += [Contact(pid, call, "AF_INET6", a, int(p)) for p, a in _INET6.findall(body)]
    found += [
        Contact(pid, call, "AF_UNIX", at + _unescape(s), None) for at, s in _UNIX.findall(body)
    ]
    return found


def _created(name: str, body: str, decorated: str | None, cwd: str) -> Path | None:
    """The path a successful call created, or None when it created nothing."""
    if name in ("open", "openat", "openat2", "creat"):
        if name != "creat" and "O_CREAT" not in body:
            return None
        if decorated:  # -y: the path of the returned descriptor, resolved by the kernel
            return Path(_unescape(decorated[1:-1]))
        m = _DIRFD.match(body) or _FIRST_STRING.match(body)
        return _resolve(m, cwd) if m is not None else None
    if name in ("mkdir", "mkdirat"):
        m = _DIRFD.match(body) if name == "mkdirat" else _FIRST_STRING.match(body)
        return _resolve(m, cwd) if m is not None else None
    if name in ("rename", "link", "symlink"):  # the last path named is the new one
        strings = _STRINGS.findall(body)
        return _absolute(_unescape(strings[-1]), cwd) if strings else None
    if name in ("renameat", "renameat2", "linkat", "symlinkat"):
        parts = re.findall(r"(AT_FDCWD|\d+)(?:<([^>]*)>)?, " + _STRING, body)
        if not parts:
            return None
        _, base, path = parts[-1]
        return _absolute(_unescape(path), _unescape(base) if base else cwd)
    return None


def _resolve(m: re.Match[str], cwd: str) -> Path:
    if m.re is _FIRST_STRING:
        return _absolute(_unescape(m.group(1)), cwd)
    base = m.group(2)
    return _absolute(_unescape(m.group(3)), _unescape(base) if base else cwd)


def _absolute(path: str, base: str) -> Path:
    return Path(os.path.normpath(os.path.join(base, path)))


def _unescape(s: str) -> str:
    """strace's C-style escapes (\\344, \\", \\n) back to the file name they stand for."""
    raw = codecs.escape_decode(s.encode("latin-1", errors="backslashreplace"))[0]
    return os.fsdecode(raw)  # type: ignore[arg-type]
