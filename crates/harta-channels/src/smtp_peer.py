# A recording SMTP server (aiosmtpd) for tests and benchmarks, on loopback:
#   python3 smtp_peer.py PORT DIR [--count-only]
# Every message it accepts is kept in DIR as N.eml (the message as received), with its envelope
# recipients in N.rcpt, one per line, written before the message is answered with 250: once a
# client's send returns, the files are there. With --count-only (a benchmark's sink) it keeps
# only how many it accepted, in DIR/count, so that writing the messages does not take the
# machine's cores from what is measured. A recipient starting with "nobody@" is refused for
# good (550), as a server refuses an unknown user. Prints "ready" once it listens, and ends when
# its standard input closes (the test or benchmark that started it ended, however it ended).
import itertools
import os
import sys

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, path, count_only):
        self.path = path
        self.count_only = count_only
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("nobody@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.numbers)
        if self.count_only:
            with open(os.path.join(self.path, "count"), "w") as f:
                f.write(str(n))
            return "250 OK"
        with open(os.path.join(self.path, f"{n}.rcpt"), "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        # The message appears whole or not at all.
        part = os.path.join(self.path, f"{n}.part")
        with open(part, "wb") as f:
            f.write(envelope.original_content)
        os.rename(part, os.path.join(self.path, f"{n}.eml"))
        return "250 OK"


controller = Controller(Keep(sys.argv[2], "--count-only" in sys.argv[3:]), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
