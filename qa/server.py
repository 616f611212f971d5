"""The server process around the app: where it may listen, how it stops, and that it never stops silently.

`listen_problem` turns a bad ``--host``/``--port`` into one Chinese line (not "port in use" for an
address that does not exist); `is_loopback` decides whether a login is required; `serve_forever`
keeps the main thread until Ctrl-C or SIGTERM and reports a web-server thread that died.

>>> listen_problem("256.1.1.1", 7860)
'--host 256.1.1.1 不是本机的有效地址（也无法解析为地址），请改用 127.0.0.1 或本机的网卡地址。'
>>> is_loopback("127.0.0.2"), is_loopback("0.0.0.0")
(True, False)
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import signal
import socket
import sys
import threading
import time
from contextlib import contextmanager

log = logging.getLogger("ipqa.app")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} 不是有效端口，应为 1–65535 之间的整数")
    return port


def listen_problem(host: str, port: int) -> str | None:
    """None if host:port can be listened on, else a one-line Chinese reason."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"--host {host} 不是本机的有效地址（也无法解析为地址），请改用 127.0.0.1 或本机的网卡地址。"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "taken"
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"端口 {port}（{host}）已被占用：请停止另一个服务，或用 --port 换一个端口。"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"--host {host} 不是本机的地址，请改用 127.0.0.1 或本机网卡的地址。"
            if exc.errno == errno.EACCES:
                return f"没有权限监听端口 {port}（1024 以下的端口需要管理员权限），请换一个端口。"
            return f"无法监听 {host}:{port}（{exc.strerror or exc}）。"
    return None


def is_loopback(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    except (socket.gaierror, UnicodeError, ValueError):
        return False


class Stop(Exception):
    """Raised in the main thread by the SIGTERM handler."""


def on_signal(signum, frame) -> None:
    if signum == signal.SIGHUP:  # the terminal went away: keep serving (its output is dropped, see qa/console.py)
        log.warning("received SIGHUP (the terminal closed); still serving — stop with SIGTERM or Ctrl-C")
        return
    raise Stop(signal.Signals(signum).name)


@contextmanager
def stop_signals():
    """SIGTERM raises Stop and SIGHUP is logged, while the block runs (main thread only); restored after."""
    handled = (signal.SIGTERM, signal.SIGHUP) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, on_signal) for signum in handled}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve_forever(demo) -> None:
    """Block until Ctrl-C or SIGTERM; every way out says why in one line (no silent exit).

    A server thread that dies is reported and ends the process with status 1; SIGHUP (a closed
    terminal) does not stop the server; SIGPIPE stays ignored (Python's default), so a closed pipe
    is an error that qa/console.py swallows, never a signal that kills the process."""
    try:
        while demo.is_running:
            thread = getattr(getattr(demo, "server", None), "thread", None)
            if thread is not None and not thread.is_alive():
                log.error("the web server thread stopped unexpectedly; exiting")
                raise SystemExit(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        log.info("stopped by Ctrl-C")
        print("已停止。", file=sys.stderr)
    except Stop as exc:
        log.warning("stopped by %s", exc)
        print(f"已停止（收到 {exc}）。", file=sys.stderr)
    finally:
        demo.close(verbose=False)
