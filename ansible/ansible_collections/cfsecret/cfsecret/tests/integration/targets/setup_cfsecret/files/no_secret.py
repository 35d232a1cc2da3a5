# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Fails when any secret the fake issued (the bootstrap token too) is in one of the given files or
in any file under the run's work directory: the encrypted stores hold ciphertext only.

    python no_secret.py INTEGRATION_CONFIG FILE...
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

try:
    from urllib.request import urlopen
except ImportError:  # pragma: no cover
    from urllib2 import urlopen

import yaml


def main():
    config = yaml.safe_load(open(sys.argv[1]))
    secrets = json.loads(urlopen(config["cfsecret_control_url"] + "/issued-secrets").read().decode())
    with open(config["cfsecret_bootstrap_token_file"]) as f:
        secrets.append(f.read().strip())
    paths = list(sys.argv[2:])
    for root, _dirs, files in os.walk(config["cfsecret_work_dir"]):
        paths.extend(os.path.join(root, name) for name in files if name != "bootstrap.token")
    leaks = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if any(s.encode() in data for s in secrets if s):
            leaks.append(path)
    if leaks:
        sys.exit("a secret is in: %s" % ", ".join(leaks))
    print("no secret in %d files (%d secrets checked)" % (len(paths), len(secrets)))


if __name__ == "__main__":
    main()
