# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""token_info's cfsecret call and how its result reads: exit 3 is an inactive token, not a failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf

DAY = 86400.0


def verify_argv(params):
    argv = cf.global_args(params, False) + cf.store_args(params, with_age=False)
    argv.extend(cf.auth_args(params))
    argv.extend(cf.repeated("--require", params.get("require")))
    if params.get("probe"):
        argv.append("--probe")
    argv.extend(cf.repeated("--expect", params.get("expect")))
    if params.get("warn_remaining"):
        argv.extend(["--warn-remaining", params["warn_remaining"]])
    if params.get("min_remaining"):
        argv.extend(["--min-remaining", params["min_remaining"]])
    return argv


def parse_time(text):
    """RFC 3339 (`2026-03-01T00:00:00Z`, fractions allowed) to an aware datetime, or None."""
    if not text:
        return None
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$", text.strip())
    if not match:
        return None
    whole, fraction, zone = match.groups()
    zone = "+0000" if zone == "Z" else zone.replace(":", "")
    # strptime takes at most microseconds; Cloudflare may send nanoseconds.
    text = "%s.%s%s" % (whole, ((fraction or "") + "000000")[:6], zone)
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def expires_in_days(result, now=None):
    """From cfsecret's `expires_in` (seconds) when it has it, else from `expires_on`."""
    seconds = result.get("expires_in")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return round(seconds / DAY, 2)
    expires = parse_time(result.get("expires_on"))
    if expires is None:
        return None
    if now is None:
        now = datetime.datetime.now(expires.tzinfo)
    return round((expires - now).total_seconds() / DAY, 2)


def verify_result(rc, result, fail_on_inactive):
    """(failed, result) of a verify: active on exit 0, active false on exit 3."""
    result = dict(result)
    result["changed"] = False
    result["rc"] = rc
    result["expires_in_days"] = expires_in_days(result)
    result.setdefault("missing_permissions", [])
    if rc == cf.RC_OK:
        result.pop("failed", None)
        result["active"] = True
        return False, result
    if rc == cf.RC_INACTIVE:
        result["active"] = False
        if fail_on_inactive:
            return True, result
        # Explicit: Ansible takes a result with a non-zero rc and no `failed` as failed.
        result["failed"] = False
        return False, result
    return True, result
