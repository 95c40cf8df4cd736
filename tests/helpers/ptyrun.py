#!/usr/bin/env python3
"""tests/helpers/ptyrun.py - run a command on a new pseudo-terminal, as a user at a terminal.

Usage: ptyrun.py [--size ROWSxCOLS] [--timeout S] [--send TEXT]...
                 [--resize-on MARK --resize ROWSxCOLS --poke TEXT --until TEXT] -- CMD...

The command gets the pty's slave as stdin/stdout/stderr and its controlling terminal
(initial window size --size, default 24x80). Everything it writes is copied to stdout.
Each --send TEXT (\\n and \\r unescaped) is typed once the command printed something
(or after a second of silence).
With --resize-on: when MARK appears, the window is resized (the kernel sends SIGWINCH
to the command), then TEXT is typed every 0.3 s until UNTIL appears (the resize reaches
the container asynchronously: a bounded retry, not a sleep). Exits with the command's
status (128+N for a signal); 124 after --timeout seconds (default 30), the command killed.
"""
import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def size(s):
    r, c = s.lower().split("x")
    return int(r), int(c)


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def unescape(s):
    return s.replace("\\n", "\n").replace("\\r", "\r").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=size, default=(24, 80))
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("--resize-on")
    ap.add_argument("--resize", type=size)
    ap.add_argument("--poke", default="\\n")
    ap.add_argument("--until")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    set_size(fd, *a.size)
    out = b""
    sent = False
    resized = False
    last_poke = 0.0
    start = time.monotonic()
    deadline = start + a.timeout
    status = None
    while True:
        now = time.monotonic()
        if now > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            return 124
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            out += data
        # typed once the command printed something, or after a second of silence (a
        # command such as attach prints only what the input causes)
        if not sent and (out or now - start > 1.0):
            for t in a.send:
                os.write(fd, unescape(t))
            sent = True
        if a.resize_on and not resized and a.resize_on.encode() in out:
            set_size(fd, *a.resize)
            resized = True
        if resized and a.until and a.until.encode() not in out and now - last_poke > 0.3:
            os.write(fd, unescape(a.poke))
            last_poke = now
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            # drain what is left
            while True:
                r, _, _ = select.select([fd], [], [], 0.2)
                if not r:
                    break
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            break
    if status is None:
        _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(out)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
