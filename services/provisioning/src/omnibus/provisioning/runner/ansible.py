"""Runs one play with ansible-runner in a private data directory of its own (provisioning.md §4.2 step 7, §7).

Layout of the directory (mode 0700, deleted after the run, so the extra vars holding the job token never outlive
it): ``project/Provisioners/plays/`` is a copy of the plays folder, ``project/crm_config.yaml`` the configuration
view the plays read with ``include_vars: ../../crm_config.yaml`` (D62, D63), ``inventory/hosts`` is localhost with
the local connection and this interpreter, ``env/settings`` ansible-runner's own settings. Events are handed to
``on_event`` and never written to disk (the event handler returns False), so no artifact holds a secret either.
"""

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ansible_runner
import yaml

log = logging.getLogger(__name__)
VENV_BIN = str(Path(sys.executable).parent)  # ansible-playbook is installed beside this interpreter
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RunResult:
    status: str  # ansible-runner's: successful, failed, timeout, canceled
    rc: int | None


@dataclass
class AnsibleRunner:
    plays_dir: Path
    crm_config: Mapping[str, Any]
    timeout_seconds: int
    environment: Mapping[str, str]

    def run(
        self,
        play_file: Path,
        extra_vars: Mapping[str, Any],
        on_event: Callable[[dict[str, Any]], None],
        cancelled: Callable[[], bool],
    ) -> RunResult:
        private = Path(tempfile.mkdtemp(prefix="omnibus-provision-"))
        try:
            project = private / "project"
            plays = project / "Provisioners" / "plays"
            shutil.copytree(self.plays_dir, plays)
            (project / "crm_config.yaml").write_text(yaml.safe_dump(dict(self.crm_config)))
            (private / "env").mkdir()
            # how often ansible-runner looks at the cancel callback and the timeout (its default is 5 s)
            (private / "env" / "settings").write_text(f"pexpect_timeout: {POLL_SECONDS}\n")
            (private / "inventory").mkdir()
            (private / "inventory" / "hosts").write_text(
                f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
            )

            def handle(event: dict[str, Any]) -> bool:
                on_event(event)
                return False  # not written to the artifacts folder

            runner = ansible_runner.run(
                private_data_dir=str(private),
                playbook=f"Provisioners/plays/{play_file.name}",
                extravars=dict(extra_vars),
                envvars=self._envvars(),
                event_handler=handle,
                cancel_callback=cancelled,
                timeout=self.timeout_seconds,
                quiet=True,
                suppress_ansible_output=True,
                rotate_artifacts=1,
            )
            return RunResult(status=str(runner.status), rc=runner.rc)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _envvars(self) -> dict[str, str]:
        path = os.environ.get("PATH", "")
        return {
            **self.environment,
            "PATH": f"{VENV_BIN}{os.pathsep}{path}" if VENV_BIN not in path.split(os.pathsep) else path,
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        }
