# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""The token module's plan: which cfsecret commands a state runs, with which flags, and how their
results become one task result with a diff (ids, names, status, expiry; never a value)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf

# Shown in a diff where the value changed; the value itself never is.
NEW_TOKEN = "(new token)"
NEW_SECRET = "(new secret)"
OLD_SECRET = "(old secret)"

# cfsecret's error code for a store that holds no token (revoke of an absent key).
NOTHING_STORED = "nothing_stored"


def create_argv(params, check_mode):
    argv = cf.global_args(params, check_mode) + cf.store_args(params) + cf.auth_args(params)
    argv.extend(["--name", params["name"]])
    if params.get("preset"):
        argv.extend(["--preset", params["preset"]])
    argv.extend(cf.repeated("--permission", params.get("permissions")))
    argv.extend(cf.repeated("--zone", params.get("zones")))
    argv.extend(cf.repeated("--account", params.get("accounts")))
    for flag, name in (
        ("--expires-in", "expires_in"),
        ("--expires-on", "expires_on"),
        ("--not-before", "not_before"),
    ):
        if params.get(name):
            argv.extend([flag, params[name]])
    argv.extend(cf.repeated("--allow-ip", params.get("allow_ips")))
    argv.extend(cf.repeated("--deny-ip", params.get("deny_ips")))
    if params.get("force"):
        argv.append("--force")
    return argv


def wants_rotation(params):
    return bool(params.get("max_age") or params.get("min_remaining"))


def rotate_argv(params, check_mode):
    argv = cf.global_args(params, check_mode) + cf.store_args(params) + cf.auth_args(params)
    for flag, name in (
        ("--max-age", "max_age"),
        ("--min-remaining", "min_remaining"),
        ("--keep-old", "keep_old"),
        ("--rescue-age", "rescue_age"),
    ):
        if params.get(name):
            argv.extend([flag, params[name]])
    return argv


def roll_argv(params, check_mode):
    argv = cf.global_args(params, check_mode) + cf.store_args(params) + cf.auth_args(params)
    if params.get("rescue_age"):
        argv.extend(["--rescue-age", params["rescue_age"]])
    return argv


def revoke_argv(params, check_mode):
    argv = cf.global_args(params, check_mode) + cf.store_args(params, with_age=False)
    argv.extend(cf.auth_args(params))
    if params.get("keep_key"):
        argv.append("--keep-key")
    return argv


def step(command, result):
    """What a call did, for the `steps` return value."""
    return dict(
        (k, result.get(k))
        for k in ("action", "changed", "token_id", "msg")
        if k in result
    )


def present(runner, params, check_mode):
    """create (which converges on cfsecret versions that can), then rotate when asked."""
    rc, created, _ = runner.run("create", create_argv(params, check_mode))
    created.setdefault("name", params["name"])
    steps = [step("create", created)]
    if rc != cf.RC_OK:
        return rc, created, steps, None
    action = created.get("action")
    current = cf.diff_view(created)
    if action == "created":
        before = {}
        if created.get("old_token_id"):
            before = {"token_id": created["old_token_id"]}
        after = current
        if check_mode or not created.get("token_id"):
            after = dict(current, token_id=NEW_TOKEN)
        return rc, created, steps, dict(before=before, after=after)
    if action == "updated":
        change = created.get("diff") or {}
        before = dict(current, **(change.get("before") or {}))
        after = dict(current, **(change.get("after") or {}))
        diff = dict(before=before, after=after)
    else:
        diff = dict(before=current, after=current)
    if not wants_rotation(params):
        return rc, created, steps, diff
    rc, rotated, _ = runner.run("rotate", rotate_argv(params, check_mode))
    steps.append(step("rotate", rotated))
    result = dict(created)
    result.pop("diff", None)
    if rc not in (cf.RC_OK, cf.RC_REVOKE_FAILED):
        return rc, dict(rotated, name=params["name"]), steps, None
    if rotated.get("action") == "rotated":
        old_id = rotated.get("old_token_id") or created.get("token_id")
        result.update(rotated)
        result["old_token_id"] = old_id
        if check_mode or rotated.get("token_id") == old_id:
            # The successor is not minted in check mode: no id yet, no expiry yet.
            result["token_id"] = None
            result.pop("expires_on", None)
        after = dict(cf.diff_view(result), token_id=result.get("token_id") or NEW_TOKEN)
        diff = dict(before=diff["after"], after=after)
    result["changed"] = bool(created.get("changed") or rotated.get("changed"))
    if rotated.get("action") != "rotated":
        result["action"] = created.get("action")
        result["msg"] = "%s; %s" % (created.get("msg"), rotated.get("msg"))
    result["name"] = params["name"]
    return rc, result, steps, diff


def rolled(runner, params, check_mode):
    rc, result, _ = runner.run("roll", roll_argv(params, check_mode))
    steps = [step("roll", result)]
    if rc != cf.RC_OK:
        return rc, result, steps, None
    view = cf.diff_view(result)
    diff = dict(before=dict(view, secret=OLD_SECRET), after=dict(view, secret=NEW_SECRET))
    return rc, result, steps, diff


def absent(runner, params, check_mode):
    rc, result, _ = runner.run("revoke", revoke_argv(params, check_mode))
    steps = [step("revoke", result)]
    if rc != cf.RC_OK and result.get("error") == NOTHING_STORED:
        # Absent already: nothing to revoke, nothing to remove.
        done = dict(changed=False, action="unchanged", msg=result.get("msg"))
        return cf.RC_OK, done, steps, dict(before={}, after={})
    if rc != cf.RC_OK:
        return rc, result, steps, None
    before = cf.diff_view(result) if result.get("changed") else {}
    return rc, result, steps, dict(before=before, after={})


STATES = dict(present=present, rolled=rolled, absent=absent)


def run(runner, params, check_mode):
    rc, result, steps, diff = STATES[params["state"]](runner, params, check_mode)
    result["steps"] = steps
    # cfsecret's own converge diff is in the task's diff; the key `diff` is Ansible's.
    result.pop("diff", None)
    runner.finish(rc, result, params.get("fail_on_revoke_error"), diff=diff)
