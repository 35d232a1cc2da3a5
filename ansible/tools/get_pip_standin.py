# A stand-in for https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py, which this
# machine cannot reach. ansible-test runs it in a new virtual environment as
# `python get_pip.py [pip options] pip==X --no-setuptools --no-wheel`; this puts the pip bundled
# with Python into that environment (ensurepip, no network) and then lets it install what was asked
# for (pip==X from the package index, as the real script would).
import subprocess
import sys

# In a child: ensurepip sets PIP_CONFIG_FILE=/dev/null in its own environment, which would hide
# the machine's pip configuration (its CA certificate, its index) from the install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args))
