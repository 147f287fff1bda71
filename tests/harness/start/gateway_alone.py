"""A LiteLLM start that must fail, or only boot, without the session's gateways: the same
start snippet and files as `gateway.Gateway`, in a network namespace of its own, so its
`--port 4000` is free there whatever the serial tests hold on 4000. Used for the starts the
troubleshooting page reproduces and for what LiteLLM itself says of a config (validate's
agreement); several can boot one after another in a background scenario."""

from __future__ import annotations

import re
import subprocess
import time

from tests.harness.proof.snippets import snippet
from tests.harness.start.gateway import Gateway, GatewayFailed, tail

BOOT_TIMEOUT_S = 180  # one start at a time; 20-50 s on 2 busy cores
SERVING = re.compile(r"Uvicorn running on http://\S+")


class PrivateNetworkGateway(Gateway):
    """The start, unchanged, in a network namespace of its own. With `port_taken`, another
    process listens on 4000 there first, as a gateway already running would."""

    port_taken = False

    def _spawn(self, env):
        script = self._script(snippet)
        hold = ""
        if self.port_taken:
            hold = ("python3 -c 'import socket, time; s = socket.socket(); "
                    "s.bind((\"0.0.0.0\", 4000)); s.listen(); time.sleep(3600)' & sleep 1; ")
        argv = ["unshare", "-n", "--", "sh", "-c",
                f'ip link set lo up && {hold}exec bash -c "$0"', script]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, cwd=self.workdir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def _wait_live(self):
        """Until LiteLLM exits (the failure expected) or serves (`Uvicorn running on`)."""
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while time.monotonic() < deadline:
            if (code := self._exit_code()) is not None:
                raise GatewayFailed(f"exited with {code}:\n" + tail(self.log()))
            if SERVING.search(self.log()):
                return
            time.sleep(0.25)
        raise AssertionError(f"LiteLLM neither failed nor served in {BOOT_TIMEOUT_S} s:\n"
                             + self.log())
