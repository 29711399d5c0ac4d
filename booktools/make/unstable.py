"""A Debian unstable root with Python 3.14 and 3.15, for the matrix on a Debian host without them.

Debian unstable ("sid") ships ``python3.14`` and ``python3.15`` as binary packages, but they need a
newer C library than Debian 12 (bookworm) has, so they cannot be installed beside the host's
Pythons. They live instead in a separate root, ``.unstable-root/`` in the checkout (git ignores
it), which ``debootstrap`` builds and :func:`command` runs programs in:

- ``python3 -m booktools.make.unstable build`` (``make unstable-root``; root only) builds it,
  unless a complete one is already there: then it only refreshes the copies of the host's DNS
  resolver configuration and CA certificate bundle, which ``pip`` needs inside to reach the package
  index.
  It installs ``debootstrap`` with ``apt-get`` first if the host lacks it. With ``--if-needed``
  (``.ci/run``) it does nothing when the host already has every Python the root would bring.
- ``python3 -m booktools.make.unstable run -- COMMAND ...`` runs a command inside, in the checkout.
- ``python3 -m booktools.make.unstable pythons`` lists the interpreters inside (what ``make matrix``
  adds to those it finds on the host).

A command runs in a mount namespace of its own (``unshare --mount``): the checkout is bind-mounted
at its own path inside the root (so ``.venv-matrix/3.14`` means the same folder inside and out),
with ``/proc`` and the host's ``/dev``. Those mounts belong to that namespace alone and vanish with
it when the command ends, however it ends (an error, a signal, ``kill -9``): nothing is left
mounted on the host and nothing needs unmounting. Standard library only: it runs before any
virtualenv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "PACKAGES",
    "ROOT_DIR",
    "build",
    "command",
    "complete",
    "host_lacks",
    "root_dir",
    "usable",
]

CHECKOUT = Path(__file__).resolve().parents[2]
ROOT_DIR = CHECKOUT / ".unstable-root"
"""Where the root lives; ``$UNSTABLE_ROOT`` names another folder."""

PACKAGES = ("python3.14", "python3.14-venv", "python3.15", "python3.15-venv")
"""What ``debootstrap`` installs into the root beyond its minimal base."""

SUITE = "sid"
MARKER = ".booktools-complete"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

# The environment a command sees inside: the host's own would name host paths (pip's find-links,
# pyenv) that do not exist there. The CA bundle is the host's, copied in by build().
_ENVIRONMENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_CERT": str(CA_BUNDLE),
    "SSL_CERT_FILE": str(CA_BUNDLE),
    "REQUESTS_CA_BUNDLE": str(CA_BUNDLE),
}
_PASSED_THROUGH = (
    "TERM",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_INDEX_URL",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)

# Run by `unshare --mount` as: sh -c SCRIPT sh ROOT CHECKOUT COMMAND...
_SCRIPT = r"""
set -e
root=$1 checkout=$2
shift 2
mkdir -p "$root$checkout" "$root/proc" "$root/dev"
mount --bind "$checkout" "$root$checkout"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec chroot "$root" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$checkout" "$@"
"""


def root_dir() -> Path:
    """The root's folder: :data:`ROOT_DIR`, or `$UNSTABLE_ROOT` when set."""
    return Path(os.environ.get("UNSTABLE_ROOT") or ROOT_DIR).resolve()


def complete(root: Path | None = None) -> bool:
    """Whether *root* (default: :data:`ROOT_DIR`) holds a root that :func:`build` finished."""
    root = root or root_dir()
    marker = root / MARKER
    return marker.is_file() and marker.read_text().split() == list(PACKAGES)


def usable(root: Path | None = None) -> bool:
    """Whether commands can run in the root here: it is complete, and this process is root."""
    return complete(root) and os.geteuid() == 0 and shutil.which("unshare") is not None


def command(argv: Sequence[str], root: Path | None = None) -> list[str]:
    """The command line that runs *argv* inside the root, in the checkout (see the module)."""
    root = root or root_dir()
    environment = dict(_ENVIRONMENT)
    environment.update({name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ})
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "env",
        "-i",
        *(f"{name}={value}" for name, value in environment.items()),
        "sh",
        "-c",
        _SCRIPT,
        "sh",
        str(root),
        str(CHECKOUT),
        *argv,
    ]


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below *path* (deepest first), from ``/proc/self/mounts``."""
    prefix = str(path)
    points = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                points.append(point)
    return sorted(points, key=len, reverse=True)


def _remove(path: Path) -> None:
    """Remove a root left half-built, first unmounting what an interrupted debootstrap left."""
    for point in _mounts_under(path):
        subprocess.run(["umount", "--lazy", point], check=True)
    if path.exists():
        shutil.rmtree(path)


def _ensure_debootstrap() -> None:
    if shutil.which("debootstrap"):
        return
    print("Installing debootstrap (apt-get)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def _copy_host_files(root: Path) -> None:
    """Give the root the host's resolver configuration and CA bundle, so pip works inside."""
    resolv = root / "etc" / "resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    shutil.copyfile(Path("/etc/resolv.conf").resolve(), resolv)
    if CA_BUNDLE.is_file():
        target = root / CA_BUNDLE.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CA_BUNDLE, target)


def host_lacks() -> list[str]:
    """The minor versions the root brings (3.14, 3.15) that the host has no interpreter for."""
    from booktools.make import pythons

    have = {interpreter.minor for interpreter in pythons.find()}
    wanted = [name.removeprefix("python") for name in PACKAGES if not name.endswith("-venv")]
    return [minor for minor in wanted if minor not in have]


def build(root: Path | None = None) -> Path:
    """Build the root at *root* (default: :data:`ROOT_DIR`) unless it is complete; return it."""
    root = root or root_dir()
    if os.geteuid() != 0:
        raise PermissionError("building the Debian unstable root needs root (debootstrap, chroot)")
    if complete(root):
        print(f"{root} is complete: reusing it", flush=True)
        _copy_host_files(root)
        return root
    started = time.monotonic()
    _ensure_debootstrap()
    partial = root.with_name(root.name + ".partial")
    _remove(partial)
    print(f"Building a Debian {SUITE} root with {', '.join(PACKAGES)} in {root}", flush=True)
    subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            str(partial),
        ],
        check=True,
    )
    _copy_host_files(partial)
    (partial / MARKER).write_text("\n".join(PACKAGES) + "\n")
    _remove(root)
    partial.rename(root)
    print(f"{root} is built ({time.monotonic() - started:.0f} s)", flush=True)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    actions = parser.add_subparsers(dest="action", required=True)
    build_action = actions.add_parser(
        "build", help="build the root unless a complete one is there (root only)"
    )
    build_action.add_argument(
        "--if-needed",
        action="store_true",
        help="only if the host lacks one of the Pythons the root brings",
    )
    run = actions.add_parser("run", help="run a command inside the root, in the checkout")
    run.add_argument("argv", nargs="+", metavar="COMMAND")
    actions.add_parser("pythons", help="list the interpreters inside the root")
    arguments = parser.parse_args(argv)
    if arguments.action == "build":
        if arguments.if_needed and not host_lacks():
            print("The host has Python 3.14 and 3.15: no unstable root needed", flush=True)
            return 0
        try:
            build()
        except (PermissionError, subprocess.CalledProcessError) as error:
            print(f"booktools.make.unstable: {error}", file=sys.stderr)
            return 1
        return 0
    if not usable():
        print(
            f"booktools.make.unstable: no complete root at {root_dir()} that this user can enter "
            "(make unstable-root, as root)",
            file=sys.stderr,
        )
        return 1
    if arguments.action == "run":
        return subprocess.run(command(arguments.argv), check=False).returncode
    from booktools.make import pythons

    found = pythons.find_in_root()
    for interpreter in found:
        print(interpreter)
    return 0 if found else 1


if __name__ == "__main__":
    raise SystemExit(main())
