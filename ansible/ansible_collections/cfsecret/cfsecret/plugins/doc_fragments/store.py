# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where the secret lives: a key of a sops file, or an OS keyring entry.
    DOCUMENTATION = r"""
options:
  file:
    description:
      - The SOPS file holding the secret (C(.yaml)/C(.yml), C(.json) or C(.env)), as C(cfsecret --file).
      - A missing file is created when C(.sops.yaml) creation rules or O(age) name recipients.
      - Use an absolute path; a relative one is relative to the working directory of the module.
      - Exactly one of O(file) and O(keyring) is required.
    type: path
  key:
    description:
      - The key inside O(file), as C(cfsecret --key)
        (a top-level key such as V(cloudflare_api_token), or sops index syntax such as V(["cloudflare"]["api_token"])).
      - Required with O(file).
    type: str
  keyring:
    description:
      - An OS keyring entry C(SERVICE/USER) instead of a file, as C(cfsecret --keyring).
    type: str
  keyring_backend:
    description:
      - The keyring backend, as C(cfsecret --keyring-backend); by default cfsecret picks the platform's.
    type: str
    choices: [secret-service, keyutils, keychain, credential-manager]
"""
