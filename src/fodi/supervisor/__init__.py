"""The supervisor: runs any command, probes it over HTTP, heals it, stops it cleanly.

``Supervisor`` is what the gateway hosts (``app.state.supervisor``) and its control API and
admin assistant call; ``fodi up`` and ``fodi ctl`` are its command line.
"""

from fodi.supervisor.config import ConfigError, ProbeConfig, ProgramConfig, load_programs
from fodi.supervisor.program import AlreadyRunning, StartFailed, SupervisorError, UnknownProgram
from fodi.supervisor.state import ProgramState, ProgramStatus
from fodi.supervisor.supervisor import Supervisor

__all__ = [
    "AlreadyRunning",
    "ConfigError",
    "ProbeConfig",
    "ProgramConfig",
    "ProgramState",
    "ProgramStatus",
    "StartFailed",
    "Supervisor",
    "SupervisorError",
    "UnknownProgram",
    "load_programs",
]
