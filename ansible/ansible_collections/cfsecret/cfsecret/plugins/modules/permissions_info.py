#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: permissions_info
short_description: List Cloudflare permission groups
notes:
  - O(age) is accepted so that C(module_defaults) can set it for the whole group; it is not used.
version_added: 0.1.0
description:
  - The permission groups a token can be given (name, id, scopes), from C(cfsecret permissions).
author:
  - cfsecret maintainers (@cfsecret)
extends_documentation_fragment:
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
  scope:
    description: Only the groups of this scope.
    type: str
    choices: [zone, account, user]
  filter:
    description: Only the groups whose name contains this text.
    type: str
"""

EXAMPLES = r"""
- name: Which DNS permissions are there?
  cfsecret.cfsecret.permissions_info:
    scope: zone
    filter: DNS
    auth_file: /srv/secrets/mgmt.yml
    auth_key: cloudflare_mgmt_token
  register: dns_permissions
"""

RETURN = r"""
permission_groups:
  description: The permission groups.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The group's name (V(DNS Write)).
      type: str
      returned: always
    id:
      description: The group's id.
      type: str
      returned: always
    scopes:
      description: The group's scopes.
      type: list
      elements: str
      returned: always
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


def main():
    spec = cf.argument_spec(
        cf.COMMON_ARGS,
        cf.AUTH_ARGS,
        cf.AGE_ARGS,
        scope=dict(type="str", choices=["zone", "account", "user"]),
        filter=dict(type="str"),
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=cf.AUTH_MUTUALLY_EXCLUSIVE,
        required_together=cf.AUTH_REQUIRED_TOGETHER,
    )
    runner = cf.Cfsecret(module)
    argv = cf.global_args(module.params, False) + cf.auth_args(module.params)
    if module.params.get("scope"):
        argv.extend(["--scope", module.params["scope"]])
    if module.params.get("filter"):
        argv.extend(["--filter", module.params["filter"]])
    rc, result, _ = runner.run("permissions", argv)
    result["changed"] = False
    runner.finish(rc, result)


if __name__ == "__main__":
    main()
