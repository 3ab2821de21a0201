# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Start a simulator as a child process on 127.0.0.1 and a free port.

The one launcher of the tests (pytest and Odoo's), the benchmarks and tools.
Standard library only, no relative import: Odoo imports it as
``odoo.addons.logistics_sync_base.simulator.launcher``, scripts may load it by
its path.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spawn(script, args, log_path=None, stdout_path=None, timeout=20.0, port_file=None, python=None):
    """Run ``python script --host 127.0.0.1 --port 0 --port-file F --parent-pid P *args``.

    ``args``: the simulator's other options (credentials, knobs).  Its request
    log (stderr) goes to ``log_path``, its banner (stdout) to ``stdout_path``
    (both discarded by default).  Waits until it wrote its port file
    (``port_file``, else one in a new temporary folder); returns
    ``(process, url)``.  The caller stops the process with ``stop``; it also
    stops by itself after its ``--max-lifetime`` or when this process is gone.
    Raises ``RuntimeError`` (with the end of its log) when it does not start.
    """
    port_file = Path(port_file or Path(tempfile.mkdtemp(prefix="lsync-sim-")) / "port")
    command = [
        python or sys.executable,
        str(script),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--parent-pid",
        str(os.getpid()),
        *[str(arg) for arg in args],
    ]
    with (
        open(log_path or os.devnull, "wb") as log,
        open(stdout_path or os.devnull, "wb") as out,
    ):
        process = subprocess.Popen(command, stdout=out, stderr=log)  # noqa: S603 - our script
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            tail = ""
            if log_path and Path(log_path).exists():
                tail = ": " + Path(log_path).read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"simulator {Path(script).name} did not start (exit {process.returncode}){tail}"
            )
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{int(port_file.read_text().strip())}"


def stop(process, timeout=10.0):
    """Stop a spawned simulator by its PID: SIGTERM, then SIGKILL; returns its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    return process.returncode
