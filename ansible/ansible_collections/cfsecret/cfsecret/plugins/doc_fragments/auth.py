# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The management credential (API Tokens Write) that creates, rolls and revokes tokens.
    DOCUMENTATION = r"""
options:
  auth_file:
    description:
      - A SOPS file holding the management token, as C(cfsecret --auth-file). Recommended,
        cfsecret decrypts it itself and the token never passes through Ansible.
    type: path
  auth_key:
    description:
      - The key of the management token in O(auth_file), as C(cfsecret --auth-key).
    type: str
  auth_keyring:
    description:
      - An OS keyring entry C(SERVICE/USER) holding the management token, as C(cfsecret --auth-keyring).
    type: str
  api_token:
    description:
      - The management token itself. It reaches cfsecret only in the environment of the cfsecret
        child process (C(CLOUDFLARE_API_TOKEN)); it is never put on a command line nor into the
        task's environment.
      - Prefer O(auth_file) and O(auth_key), which keep the token out of Ansible altogether.
      - If none of O(auth_file), O(auth_keyring), O(api_token) and O(api_key) is set, cfsecret uses
        C(CLOUDFLARE_API_TOKEN) from the environment of the module, or (to roll and rotate) the stored token itself.
    type: str
  api_email:
    description:
      - The account e-mail address that goes with O(api_key) (C(CLOUDFLARE_EMAIL)).
    type: str
  api_key:
    description:
      - A Global API Key (C(CLOUDFLARE_API_KEY)), passed like O(api_token). Requires O(api_email).
    type: str
  account_id:
    description:
      - Manage account-owned tokens of this account, as C(cfsecret --account-id).
    type: str
"""
