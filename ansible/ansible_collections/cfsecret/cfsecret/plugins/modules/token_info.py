#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: token_info
short_description: Verify a stored Cloudflare API token with Cloudflare
version_added: 0.1.0
description:
  - Reads the token from its encrypted store and asks Cloudflare whether it is active (C(cfsecret verify)),
    optionally whether its policies grant O(require), and (on cfsecret versions with C(--probe)) whether
    it really works for each permission family.
  - An inactive token (cfsecret exit 3) is RV(active=false), not a failure, unless O(fail_on_inactive).
author:
  - cfsecret maintainers (@cfsecret)
extends_documentation_fragment:
  - cfsecret.cfsecret.store
  - cfsecret.cfsecret.auth
  - cfsecret.cfsecret.age
  - cfsecret.cfsecret.common
  - cfsecret.cfsecret.common.attributes
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: N/A
options:
  require:
    description: Permissions the token's policies must grant (C(cfsecret verify --require)); missing ones make the token inactive.
    type: list
    elements: str
  probe:
    description: Also call one read-only endpoint per permission family with the token (C(--probe)).
    type: bool
    default: false
  expect:
    description: With O(probe), the permissions whose checks must pass (C(--expect)).
    type: list
    elements: str
  warn_remaining:
    description: Warn when the token expires within this (C(--warn-remaining), e.g. V(14d)).
    type: str
  min_remaining:
    description: Report the token inactive when it expires within this (C(--min-remaining)).
    type: str
  fail_on_inactive:
    description: Fail the task when the token is not active, instead of returning RV(active=false).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Is the stored token active and allowed to edit DNS?
  cfsecret.cfsecret.token_info:
    file: /srv/secrets/cell-v0.yml
    key: cloudflare_api_token
    require: [DNS Write]
  register: dns_token

- name: Warn when it is about to expire
  ansible.builtin.debug:
    msg: "The token expires in {{ dns_token.expires_in_days }} days"
  when: dns_token.expires_in_days is not none and dns_token.expires_in_days < 14
"""

RETURN = r"""
active:
  description: Whether the token is active and grants O(require).
  returned: always
  type: bool
status:
  description: The token's status at Cloudflare (V(active), V(disabled), V(expired), ...).
  returned: when known
  type: str
token_id:
  description: The token's id.
  returned: when known
  type: str
expires_on:
  description: When the token expires (RFC 3339), or null.
  returned: when known
  type: str
expires_in_days:
  description: Days until the token expires (a float; null when it does not expire).
  returned: always
  type: float
missing_permissions:
  description: The permissions of O(require) the token lacks.
  returned: always
  type: list
  elements: str
probe:
  description: With O(probe), the checks cfsecret ran (C(passed), C(total), C(checks)).
  returned: when probed
  type: dict
warning:
  description: cfsecret's warning (e.g. the token expires within O(warn_remaining)).
  returned: when there is one
  type: str
error:
  description: Why the token is not active (cfsecret's stable code, e.g. V(token_not_active)).
  returned: when not active
  type: str
msg:
  description: cfsecret's message.
  returned: always
  type: str
rc:
  description: cfsecret's exit code.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf
from ansible_collections.cfsecret.cfsecret.plugins.module_utils import info


def main():
    spec = cf.argument_spec(
        cf.COMMON_ARGS,
        cf.AUTH_ARGS,
        cf.STORE_ARGS,
        cf.AGE_ARGS,
        require=dict(type="list", elements="str"),
        probe=dict(type="bool", default=False),
        expect=dict(type="list", elements="str"),
        warn_remaining=dict(type="str"),
        min_remaining=dict(type="str"),
        fail_on_inactive=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=cf.STORE_MUTUALLY_EXCLUSIVE + cf.AUTH_MUTUALLY_EXCLUSIVE,
        required_one_of=cf.STORE_REQUIRED_ONE_OF,
        required_together=cf.STORE_REQUIRED_TOGETHER + cf.AUTH_REQUIRED_TOGETHER,
    )
    runner = cf.Cfsecret(module)
    # Read-only: the same call in check mode (cfsecret's --check would add nothing).
    rc, result, _ = runner.run("verify", info.verify_argv(module.params))
    failed, result = info.verify_result(rc, result, module.params["fail_on_inactive"])
    if result.get("warning"):
        module.warn(result["warning"])
    if failed:
        runner.finish(rc, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
