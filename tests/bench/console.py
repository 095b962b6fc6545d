#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal, as a person's terminal window would (Unix only).

    python3 tests/bench/console.py [--no-answer] [--transcript FILE] -- COMMAND [ARG ...]

The command sees a terminal of 120 x 30 on its standard input, output and error. Like a terminal
emulator, this one answers the cursor-position queries (ESC [ 6 n) that .NET's console asks on Unix
for PowerShell's progress bar and prompt, keeping track of the row roughly. `--no-answer` leaves them
unanswered, like `script -qefc CMD /dev/null` with no terminal behind it: .NET then waits 10 s for the
first answer and 1 s for each later one. Whatever the command writes is kept in the transcript (or
dropped). Exits with the command's exit code; prints how many queries it saw on standard error.
"""

import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios

ROWS, COLUMNS = 30, 120
CURSOR_QUERY = b"\x1b[6n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-answer", action="store_true", help="never answer cursor-position queries")
    parser.add_argument("--transcript", help="file that receives everything the command wrote")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("a command is needed after --")

    pid, terminal = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    transcript = open(options.transcript, "wb") if options.transcript else None
    row, queries, pending, status = 1, 0, b"", None
    try:
        while True:
            readable, _, _ = select.select([terminal], [], [], 0.5)
            if terminal in readable:
                try:
                    data = os.read(terminal, 65536)
                except OSError:  # the command closed its terminal
                    break
                if not data:
                    break
                if transcript:
                    transcript.write(data)
                # A query split across two reads is still seen: keep the tail of the previous read.
                seen = pending + data
                count = seen.count(CURSOR_QUERY)
                pending = seen[-(len(CURSOR_QUERY) - 1):]
                row = min(ROWS, row + data.count(b"\n"))
                queries += count
                if not options.no_answer:
                    for _ in range(count):
                        os.write(terminal, b"\x1b[%d;1R" % row)
            else:
                reaped, reaped_status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    status = reaped_status
                    break
    finally:
        if transcript:
            transcript.close()
    if status is None:
        _, status = os.waitpid(pid, 0)
    print(f"console.py: {queries} cursor-position queries{' (unanswered)' if options.no_answer else ''}", file=sys.stderr)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
