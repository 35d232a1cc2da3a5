#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: token
short_description: Create, converge, rotate, roll and revoke a Cloudflare API token kept in a SOPS file or the OS keyring
version_added: 0.1.0
description:
  - One idempotent task for a token's whole lifecycle, run by the C(cfsecret) binary, which writes
    the token straight into an encrypted store, so the secret never passes through Ansible.
  - O(state=present) creates the token when the store holds none (C(cfsecret create)), updates it in
    place when it differs from the declared name, permissions, zones, IPs or expiry (cfsecret versions with
    in-place update), and rotates it (C(cfsecret rotate)) once it is older than O(max_age) or closer to
    its expiry than O(min_remaining).
  - O(state=rolled) rolls the token's secret in place (C(cfsecret roll)); always changed.
  - O(state=absent) revokes the token at Cloudflare and removes it from the store (C(cfsecret revoke)).
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
    description: Full. cfsecret's C(--check) makes no API mutation and writes nothing; its prediction equals the real run.
    support: full
  diff_mode:
    description: Before and after of the token's id, name, status and expiry; never its value.
    support: full
options:
  state:
    description:
      - V(present) creates, converges and (with O(max_age)/O(min_remaining)) rotates.
      - V(rolled) rolls the secret in place. V(absent) revokes the token and removes it from the store.
    type: str
    choices: [present, rolled, absent]
    default: present
  name:
    description: The token's name. Required with O(state=present).
    type: str
  preset:
    description: A permission preset, as C(cfsecret create --preset) (V(cert-manager-dns01), V(edit-zone-dns), V(saas-platform), V(manager)).
    type: str
  permissions:
    description: Permission groups by their Cloudflare names (V(DNS Write)) or the dashboard spelling (V(Zone:DNS:Edit)).
    type: list
    elements: str
  zones:
    description: Zones (names or ids) the permissions apply to.
    type: list
    elements: str
  accounts:
    description: Accounts (names or ids) the account-level permissions apply to.
    type: list
    elements: str
  expires_in:
    description: Expire this long after creation, as a cfsecret duration (V(90d)). Mutually exclusive with O(expires_on).
    type: str
  expires_on:
    description: Expire at this time (RFC 3339).
    type: str
  not_before:
    description: Not usable before this time (RFC 3339).
    type: str
  allow_ips:
    description: CIDRs the token may be used from.
    type: list
    elements: str
  deny_ips:
    description: CIDRs the token may not be used from.
    type: list
    elements: str
  force:
    description: Mint a new token even when the store holds an active one (the old one is revoked afterwards). Never idempotent.
    type: bool
    default: false
  max_age:
    description: With O(state=present), rotate once the token is older than this (V(30d)).
    type: str
  min_remaining:
    description: With O(state=present), rotate once the token expires within this (V(14d)).
    type: str
  keep_old:
    description: When rotating, keep the old token valid this long before revoking it (consumers reload).
    type: str
  rescue_age:
    description: The age recipient who can decrypt a rescue file if writing a new secret fails.
    type: str
  keep_key:
    description: With O(state=absent), revoke the token but leave its (now useless) value in the store.
    type: bool
    default: false
  fail_on_revoke_error:
    description:
      - When a rotation stored and verified the new token but could not revoke the old one (cfsecret exit 4),
        fail instead of reporting changed with a warning. The next run retries the revocation either way.
    type: bool
    default: false
notes:
  - The secret never appears in the result, in diff output or on a command line.
  - A failed write after a roll saves the new secret, encrypted, in a rescue file; the task fails with
    RV(rescue_file) and RV(restore_command).
"""

EXAMPLES = r"""
- name: Keep the DNS token fresh (create, converge, rotate after 30 days)
  cfsecret.cfsecret.token:
    file: /srv/secrets/cell-v0.yml
    key: cloudflare_api_token
    name: cell-v0-dns
    preset: cert-manager-dns01
    zones: [example.com]
    expires_in: 90d
    max_age: 30d
    auth_file: /srv/secrets/mgmt.yml
    auth_key: cloudflare_mgmt_token

- name: Roll its secret now
  cfsecret.cfsecret.token:
    file: /srv/secrets/cell-v0.yml
    key: cloudflare_api_token
    state: rolled

- name: Revoke it and remove it from the store
  cfsecret.cfsecret.token:
    file: /srv/secrets/cell-v0.yml
    key: cloudflare_api_token
    state: absent
    auth_file: /srv/secrets/mgmt.yml
    auth_key: cloudflare_mgmt_token
"""

RETURN = r"""
action:
  description: What cfsecret did (or, in check mode, would do).
  returned: always
  type: str
  sample: created
  choices: [created, updated, rotated, rolled, revoked, unchanged]
token_id:
  description: The id of the token the store holds afterwards (absent in check mode for a token not minted yet).
  returned: when known
  type: str
old_token_id:
  description: The id of the token a rotation replaced.
  returned: when rotated
  type: str
name:
  description: The token's name.
  returned: when known
  type: str
status:
  description: The token's status at Cloudflare (V(active), ...).
  returned: when known
  type: str
expires_on:
  description: When the token expires (RFC 3339), or null.
  returned: when known
  type: str
store:
  description: Where the token is stored (file and key, or keyring entry).
  returned: when known
  type: dict
msg:
  description: cfsecret's message.
  returned: always
  type: str
rc:
  description: cfsecret's exit code.
  returned: always
  type: int
error:
  description: cfsecret's stable error code (V(locked), V(token_not_active), ...).
  returned: failure
  type: str
hint:
  description: What to do next.
  returned: failure, when cfsecret has one
  type: str
rescue_file:
  description: The age-encrypted file holding a new secret that could not be stored (exit 5).
  returned: failure, when a secret was rescued
  type: str
restore_command:
  description: The shell line that puts the rescued secret into its store.
  returned: failure, when a secret was rescued
  type: str
steps:
  description: The result of each cfsecret call the task made (create, then rotate), without secrets.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf
from ansible_collections.cfsecret.cfsecret.plugins.module_utils import token_lifecycle


def main():
    spec = cf.argument_spec(
        cf.COMMON_ARGS,
        cf.AUTH_ARGS,
        cf.STORE_ARGS,
        cf.AGE_ARGS,
        state=dict(type="str", default="present", choices=["present", "rolled", "absent"]),
        name=dict(type="str"),
        preset=dict(type="str"),
        permissions=dict(type="list", elements="str"),
        zones=dict(type="list", elements="str"),
        accounts=dict(type="list", elements="str"),
        expires_in=dict(type="str"),
        expires_on=dict(type="str"),
        not_before=dict(type="str"),
        allow_ips=dict(type="list", elements="str"),
        deny_ips=dict(type="list", elements="str"),
        force=dict(type="bool", default=False),
        max_age=dict(type="str"),
        min_remaining=dict(type="str"),
        keep_old=dict(type="str"),
        rescue_age=dict(type="str"),
        keep_key=dict(type="bool", default=False, no_log=False),
        fail_on_revoke_error=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=cf.STORE_MUTUALLY_EXCLUSIVE
        + cf.AUTH_MUTUALLY_EXCLUSIVE
        + [["expires_in", "expires_on"]],
        required_one_of=cf.STORE_REQUIRED_ONE_OF,
        required_together=cf.STORE_REQUIRED_TOGETHER + cf.AUTH_REQUIRED_TOGETHER,
        required_if=[
            ["state", "present", ["name"]],
            ["state", "present", ["preset", "permissions"], True],
        ],
    )
    runner = cf.Cfsecret(module)
    token_lifecycle.run(runner, module.params, module.check_mode)


if __name__ == "__main__":
    main()
