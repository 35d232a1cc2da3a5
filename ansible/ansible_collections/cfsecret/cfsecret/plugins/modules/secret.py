#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: secret
short_description: Store a secret in a SOPS file or the OS keyring, changing only its value
version_added: 0.1.0
description:
  - Stores O(value) at a key of a SOPS file (or in an OS keyring entry) with C(cfsecret set), which
    reads the value from standard input and rewrites only that value's line, C(lastmodified) and C(mac).
  - Idempotent; unchanged when the store already holds this value. Typical use is the management token itself.
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
    description: Full; cfsecret's C(--check) decrypts and compares, and writes nothing.
    support: full
  diff_mode:
    description: Says whether the value changed; never shows it.
    support: full
notes:
  - The management credential options are accepted so that C(module_defaults) can set them for the
    whole group; storing a value talks to no API and does not use them.
options:
  value:
    description:
      - The secret. It goes to cfsecret on standard input, never on a command line, and is never returned.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Keep the management token in a sops file
  cfsecret.cfsecret.secret:
    file: /srv/secrets/mgmt.yml
    key: cloudflare_mgmt_token
    value: "{{ lookup('ansible.builtin.env', 'CF_BOOTSTRAP_TOKEN') }}"
    age: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
"""

RETURN = r"""
action:
  description: V(stored) or V(unchanged).
  returned: always
  type: str
store:
  description: Where the value is stored.
  returned: success
  type: dict
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

HIDDEN_BEFORE = "(the stored value)"
HIDDEN_AFTER = "(the new value)"


def main():
    spec = cf.argument_spec(
        cf.COMMON_ARGS,
        cf.STORE_ARGS,
        cf.AUTH_ARGS,
        cf.AGE_ARGS,
        value=dict(type="str", required=True, no_log=True),
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=cf.STORE_MUTUALLY_EXCLUSIVE,
        required_one_of=cf.STORE_REQUIRED_ONE_OF,
        required_together=cf.STORE_REQUIRED_TOGETHER,
    )
    runner = cf.Cfsecret(module)
    argv = cf.global_args(module.params, module.check_mode) + cf.store_args(module.params)
    # The value on standard input, as it is (cfsecret drops one trailing newline).
    data = module.params["value"].encode("utf-8")
    rc, result, _ = runner.run("set", argv, data=data)
    diff = None
    if rc == cf.RC_OK:
        changed = bool(result.get("changed"))
        diff = dict(
            before=dict(value=HIDDEN_BEFORE),
            after=dict(value=HIDDEN_AFTER if changed else HIDDEN_BEFORE),
        )
    runner.finish(rc, result, diff=diff)


if __name__ == "__main__":
    main()
