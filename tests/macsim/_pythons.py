"""Find a Python interpreter of a given version at run time (never a fixed path)."""

import glob
import os
import shutil
import subprocess

_cache = {}


def _version_of(path):
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode().strip() if out.returncode == 0 else None


def find_python(version="3.9"):
    """Absolute path of a working pythonX.Y: $MACSIM_PYTHON<XY>, PATH, then pyenv's versions.

    A pyenv shim can exist on PATH for a version that is not installed, so each
    candidate is run once to prove it works.
    """
    if version in _cache:
        return _cache[version]
    env_name = "MACSIM_PYTHON" + version.replace(".", "")
    candidates = [os.environ.get(env_name), shutil.which("python" + version)]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin",
                                                "python" + version)), reverse=True)
    candidates += ["/usr/bin/python" + version, "/usr/local/bin/python" + version]
    for candidate in candidates:
        if candidate and os.path.exists(candidate) and _version_of(candidate) == version:
            resolved = _resolve_real(candidate)
            _cache[version] = resolved
            return resolved
    raise LookupError("no working python%s found (set %s)" % (version, env_name))


def _resolve_real(candidate):
    """Turn a pyenv shim into the interpreter it runs, so children need no pyenv."""
    try:
        out = subprocess.run([candidate, "-c", "import sys; print(sys.executable)"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20,
                             check=True)
        return out.stdout.decode().strip() or candidate
    except (OSError, subprocess.SubprocessError):
        return candidate
