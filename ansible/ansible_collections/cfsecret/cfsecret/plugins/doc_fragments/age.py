# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How cfsecret encrypts a new sops file and finds the identity that decrypts one.
    DOCUMENTATION = r"""
options:
  age:
    description:
      - age recipients (C(age1...)) of a SOPS file cfsecret creates, as C(cfsecret --age).
        Without it, C(.sops.yaml) creation rules or C(SOPS_AGE_RECIPIENTS) decide.
    type: list
    elements: str
  age_key_file:
    description:
      - The age identity file that decrypts the SOPS files, given to cfsecret as C(SOPS_AGE_KEY_FILE).
      - By default cfsecret finds identities exactly as sops does
        (C(SOPS_AGE_KEY_FILE), C(~/.config/sops/age/keys.txt), ...).
    type: path
  age_key:
    description:
      - An age identity itself, given to cfsecret as C(SOPS_AGE_KEY) in the environment of the
        cfsecret child process only. Prefer O(age_key_file).
    type: str
"""
