# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Prints `export NAME=VALUE` lines for cfsecret_test_env of the integration config (the keyring
session ansible-test does not pass on).

    eval "$(python env.py INTEGRATION_CONFIG)"
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

try:
    from shlex import quote
except ImportError:  # pragma: no cover
    from pipes import quote

import yaml

config = yaml.safe_load(open(sys.argv[1]))
for name, value in sorted((config.get("cfsecret_test_env") or {}).items()):
    print("export %s=%s" % (name, quote(value)))
