#!/usr/bin/env python3
"""tests/helpers/ptydrive.py STEP... -- CMD [ARG...]

Runs CMD on a new pseudo-terminal (as its controlling terminal, the way a user's
shell runs it), performs the steps in order, then prints everything CMD wrote to
the terminal followed by a last line "EXIT=<status>". Steps:
  size:ROWS:COLS   set the terminal's window size (CMD gets SIGWINCH from the kernel)
  send:TEXT        type TEXT (\\r, \\n and \\x03 escapes are understood)
  mode             note whether the terminal is raw now (printed as MODE=raw|cooked at the end)
  sleep:SECONDS    keep reading for that long (only to let a command start, never to assert)
  expect:TEXT      wait until the output so far contains TEXT (30 s at most, then fail)
Waits are bounded: the whole run is killed after 60 s.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

def main():
    sep = sys.argv.index("--")
    steps, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()
    modes = []
    deadline = time.time() + 60

    def pump(timeout):
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            d = os.read(fd, 4096)
        except OSError:
            return False
        out.extend(d)
        return bool(d)

    for st in steps:
        kind, _, arg = st.partition(":")
        if kind == "size":
            rows, cols = (int(x) for x in arg.split(":"))
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        elif kind == "mode":
            lflag = termios.tcgetattr(fd)[3]  # on the master: the terminal's settings
            raw = not (lflag & (termios.ICANON | termios.ECHO | termios.ISIG))
            modes.append("raw" if raw else "cooked")
        elif kind == "sleep":
            end = time.time() + float(arg)
            while time.time() < end and pump(0.05):
                pass
        elif kind == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "expect":
            end = min(deadline, time.time() + 30)
            while arg.encode() not in out:
                if time.time() > end or not pump(0.1):
                    sys.stdout.write(out.decode(errors="replace"))
                    print("\nptydrive: timed out waiting for %r" % arg)
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return 2
    # until the terminal hangs up (EIO: CMD and everything that held it are gone)
    while time.time() < deadline and pump(0.2):
        pass
    end = time.time() + 10
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        if time.time() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = 124
            break
        time.sleep(0.05)
    sys.stdout.write(out.decode(errors="replace"))
    for m in modes:
        print("MODE=%s" % m)
    print("\nEXIT=%d" % status)
    return 0

sys.exit(main())
