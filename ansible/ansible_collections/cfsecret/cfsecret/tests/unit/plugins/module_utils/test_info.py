# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""module_utils/info: verify's argv, exit 3 as inactive, days to expiry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.cfsecret.cfsecret.plugins.module_utils import info


def test_verify_argv():
    p = dict(file="/s/a.yml", key="k", wait=True, require=["DNS Write"], probe=True, expect=["Zone Read"],
             warn_remaining="14d", age=["age1x"])
    argv = info.verify_argv(p)
    assert "--check" not in argv and "--age" not in argv
    assert "--require=DNS Write" in argv and "--probe" in argv and "--expect=Zone Read" in argv
    assert argv[argv.index("--warn-remaining") + 1] == "14d"


def test_exit_3_is_inactive_not_failed_unless_asked():
    failed, result = info.verify_result(3, {"failed": True, "error": "token_not_active", "msg": "expired"}, False)
    assert not failed and result["active"] is False and result["failed"] is False
    failed, result = info.verify_result(3, {"failed": True, "msg": "expired"}, True)
    assert failed and result["active"] is False
    failed, result = info.verify_result(0, {"status": "active", "expires_on": None}, False)
    assert not failed and result["active"] and result["expires_in_days"] is None
    assert result["missing_permissions"] == []
    failed, result = info.verify_result(1, {"failed": True, "msg": "network"}, False)
    assert failed


def test_expires_in_days():
    now = datetime.datetime(2026, 1, 1, tzinfo=info.parse_time("2026-01-01T00:00:00Z").tzinfo)
    assert info.expires_in_days({"expires_on": "2026-01-11T00:00:00Z"}, now) == 10.0
    assert info.expires_in_days({"expires_on": "2026-01-01T12:00:00.123456789Z"}, now) == 0.5
    assert info.expires_in_days({"expires_in": 86400 * 3}) == 3.0
    assert info.expires_in_days({"expires_on": "not a time"}) is None
