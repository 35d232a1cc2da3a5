# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The binary, the API endpoint, locks and timeouts: shared by every module.
    DOCUMENTATION = r"""
options:
  cfsecret_binary:
    description:
      - The cfsecret binary. By default it is searched in E(PATH), C(~/.local/bin) and C(/usr/local/bin).
      - A missing binary, or one older than this collection supports, fails the task with what to install.
    type: path
  api_base_url:
    description:
      - The Cloudflare API base URL (C(CLOUDFLARE_API_BASE_URL)), e.g. a local fake in tests.
        Plain C(http://) is refused by cfsecret unless the host is loopback.
    type: str
  wait:
    description:
      - When another cfsecret (a cron job, another play) holds the store's lock, wait for it
        (C(--wait)) instead of failing as locked.
    type: bool
    default: true
  wait_timeout:
    description:
      - The longest O(wait) waits, as a cfsecret duration (V(90s), V(10m)).
    type: str
  timeout:
    description:
      - The timeout of each Cloudflare API call, as a cfsecret duration.
    type: str
requirements:
  - cfsecret (the binary this collection is versioned with) on the host that runs the module
seealso:
  - name: cfsecret's contract
    description: The commands, JSON fields and exit codes these modules rely on.
    link: https://github.com/cfsecret/cfsecret
"""

    # Attributes of the modules that change something.
    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Use C(group/cfsecret.cfsecret.cfsecret) in C(module_defaults) to set options once for every module.
    support: full
    membership:
      - cfsecret.cfsecret.cfsecret
"""
