"""tests/support/observe.py reads strace's log right: contacts, DNS, created paths (issue 22)."""

from __future__ import annotations

from pathlib import Path

from tests.support.observe import Observation, parse_strace

LOG = r"""
101 connect(8<UDP:[1]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16 <unfinished ...>
102 openat(AT_FDCWD</work>, "rel/new.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 5</work/rel/new.txt>
101 <... connect resumed>) = 0
101 connect(9<UDP:[2]>, {sa_family=AF_INET, sin_port=htons(6000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
101 connect(9<UDP:[2]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0
101 sendto(5<socket:[3]>, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 1
101 sendto(5<socket:[3]>, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 1
101 sendmsg(6<socket:[4]>, {msg_name={sa_family=AF_INET, sin_port=htons(123), sin_addr=inet_addr("192.0.2.7")}, msg_namelen=16, msg_iov=[], msg_iovlen=0, msg_controllen=0, msg_flags=0}, 0) = 0
101 connect(3<socket:[5]>, {sa_family=AF_UNIX, sun_path="/tmp/.X11-unix/X0"}, 110) = 0
101 connect(3<socket:[5]>, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 110) = -1 ENOENT (No such file or directory)
102 openat(AT_FDCWD</work>, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3</etc/hosts>
102 openat(AT_FDCWD</work>, "/home/u/.cache/gone", O_RDWR|O_CREAT, 0600) = -1 EACCES (Permission denied)
102 mkdir("/home/u/.cache/Microsoft", 0700) = 0
102 mkdir("here", 0700) = 0
102 mkdirat(3</home/u>, "\344\270\255 \"q\"", 0777) = 0
102 rename("/home/u/a.tmp", "/home/u/a") = 0
102 renameat2(AT_FDCWD</work>, "b.tmp", 7</out>, "b", RENAME_NOREPLACE) = 0
102 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
"""  # noqa: E501 (strace lines as strace writes them)


def observed() -> Observation:
    network, files = parse_strace(LOG, Path("/start"))
    return Observation(0, "", "", network, files)


def test_contacts_and_which_break_the_promise() -> None:
    seen = observed()
    assert [(c.address, c.port) for c in seen.network] == [
        ("10.255.255.53", 53),
        ("127.0.0.1", 6000),
        ("127.0.0.53", 53),
        ("2001:db8::1", 443),
        ("::1", 9),
        ("192.0.2.7", 123),
        ("/tmp/.X11-unix/X0", None),
        ("/run/systemd/resolve/io.systemd.Resolve", None),
    ]
    assert [str(c) for c in seen.leaks] == [
        "connect to 10.255.255.53 port 53 (AF_INET, pid 101)",
        "connect to 127.0.0.53 port 53 (AF_INET, pid 101)",  # a lookup, though local
        "sendto to 2001:db8::1 port 443 (AF_INET6, pid 101)",
        "sendmsg to 192.0.2.7 port 123 (AF_INET, pid 101)",
        "connect to /run/systemd/resolve/io.systemd.Resolve (AF_UNIX, pid 101)",
    ]


def test_created_paths_are_absolute_and_only_successful_creations() -> None:
    seen = observed()
    assert seen.files_created == (
        Path("/work/rel/new.txt"),
        Path("/home/u/.cache/Microsoft"),
        Path("/work/here"),
        Path('/home/u/中 "q"'),
        Path("/home/u/a"),
        Path("/out/b"),
    )
    assert seen.problems("/home/u") == [
        *[f"network: {c}" for c in seen.leaks],
        "wrote /home/u/.cache/Microsoft",
    ]
    assert seen.created_under("/home/u/.cache") == [Path("/home/u/.cache/Microsoft")]
