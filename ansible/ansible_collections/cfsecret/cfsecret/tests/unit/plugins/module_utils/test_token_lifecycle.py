# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""module_utils/token_lifecycle with a scripted cfsecret: which commands run, and the result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf
from ansible_collections.cfsecret.cfsecret.plugins.module_utils import token_lifecycle as tl


class Runner(object):
    """Answers each cfsecret command from a script; records the calls; keeps what finish got."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []
        self.finished = None

    def run(self, command, argv, data=None, env=None):
        self.calls.append((command, argv))
        rc, result = self.answers[command]
        return rc, dict(result), ""

    def finish(self, rc, result, fail_on_revoke_error=False, diff=None):
        self.finished = (rc, result, diff)


def params(**kw):
    base = dict(file="/s/a.yml", key="k", name="dns", preset="cert-manager-dns01", zones=["example.com"],
                state="present", wait=True, expires_in="90d")
    base.update(kw)
    return base


def test_create_flags():
    argv = tl.create_argv(params(permissions=["DNS Write"], allow_ips=["10.0.0.0/8"], force=True), True)
    assert argv[:3] == ["--json", "--check", "--wait"]
    for flag in ("--name", "--preset", "--expires-in", "--force"):
        assert flag in argv
    assert "--permission=DNS Write" in argv and "--zone=example.com" in argv and "--allow-ip=10.0.0.0/8" in argv


def test_present_creates_and_does_not_rotate_what_it_just_created():
    runner = Runner({"create": (0, {"changed": True, "action": "created", "token_id": "t1", "status": "active"})})
    tl.run(runner, params(max_age="30d"), False)
    assert [c for c, _ in runner.calls] == ["create"]
    rc, result, diff = runner.finished
    assert result["action"] == "created" and result["name"] == "dns"
    assert diff == {"before": {}, "after": {"token_id": "t1", "name": "dns", "status": "active"}}


def test_check_mode_create_has_no_id_yet():
    runner = Runner({"create": (0, {"changed": True, "action": "created", "msg": "would create"})})
    tl.run(runner, params(max_age="30d"), True)
    assert "--check" in runner.calls[0][1]
    assert runner.finished[2]["after"]["token_id"] == tl.NEW_TOKEN


def test_present_rotates_an_old_token():
    runner = Runner({
        "create": (0, {"changed": False, "action": "unchanged", "token_id": "t1", "status": "active"}),
        "rotate": (0, {"changed": True, "action": "rotated", "token_id": "t2", "old_token_id": "t1", "status": "active"}),
    })
    tl.run(runner, params(max_age="30d", min_remaining="14d"), False)
    assert [c for c, _ in runner.calls] == ["create", "rotate"]
    rotate = runner.calls[1][1]
    assert rotate[rotate.index("--max-age") + 1] == "30d" and "--min-remaining" in rotate
    rc, result, diff = runner.finished
    assert (result["action"], result["changed"], result["token_id"], result["old_token_id"]) == ("rotated", True, "t2", "t1")
    assert diff["before"]["token_id"] == "t1" and diff["after"]["token_id"] == "t2"
    assert [s["action"] for s in result["steps"]] == ["unchanged", "rotated"]


def test_check_mode_rotation_predicts_without_an_id():
    runner = Runner({
        "create": (0, {"changed": False, "action": "unchanged", "token_id": "t1"}),
        "rotate": (0, {"changed": True, "action": "rotated", "token_id": "t1"}),
    })
    tl.run(runner, params(max_age="30d"), True)
    rc, result, diff = runner.finished
    assert result["old_token_id"] == "t1" and result["token_id"] is None
    assert diff["after"]["token_id"] == tl.NEW_TOKEN


def test_young_token_is_unchanged():
    runner = Runner({
        "create": (0, {"changed": False, "action": "unchanged", "token_id": "t1", "msg": "holds"}),
        "rotate": (0, {"changed": False, "action": "unchanged", "token_id": "t1", "msg": "young"}),
    })
    tl.run(runner, params(max_age="30d"), False)
    rc, result, diff = runner.finished
    assert (result["changed"], result["action"]) == (False, "unchanged")
    assert diff["before"] == diff["after"]


def test_converge_diff_comes_from_cfsecret():
    runner = Runner({"create": (0, {
        "changed": True, "action": "updated", "token_id": "t1",
        "diff": {"before": {"expires_on": "2026-01-01T00:00:00Z"}, "after": {"expires_on": "2026-03-01T00:00:00Z"}},
    })})
    tl.run(runner, params(), False)
    rc, result, diff = runner.finished
    assert "diff" not in result
    assert diff["before"]["expires_on"] != diff["after"]["expires_on"]
    assert diff["before"]["token_id"] == diff["after"]["token_id"] == "t1"


def test_failed_create_stops():
    runner = Runner({"create": (6, {"failed": True, "msg": "locked", "error": "locked"})})
    tl.run(runner, params(max_age="30d"), False)
    assert [c for c, _ in runner.calls] == ["create"]
    assert runner.finished[0] == 6


def test_roll_and_absent():
    runner = Runner({"roll": (0, {"changed": True, "action": "rolled", "token_id": "t1"})})
    tl.run(runner, params(state="rolled", rescue_age="age1r"), False)
    assert runner.calls[0][0] == "roll" and "--rescue-age" in runner.calls[0][1]
    assert runner.finished[2]["before"]["secret"] != runner.finished[2]["after"]["secret"]
    runner = Runner({"revoke": (0, {"changed": True, "action": "revoked", "token_id": "t1", "key_removed": True})})
    tl.run(runner, params(state="absent", keep_key=True, age=["age1x"]), True)
    argv = runner.calls[0][1]
    assert runner.calls[0][0] == "revoke" and "--keep-key" in argv and "--check" in argv and "--age" not in argv
    assert runner.finished[2] == {"before": {"token_id": "t1"}, "after": {}}


def test_revoke_failed_rotation_still_reports_the_new_token():
    runner = Runner({
        "create": (0, {"changed": False, "action": "unchanged", "token_id": "t1"}),
        "rotate": (4, {"failed": True, "changed": True, "action": "rotated", "token_id": "t2", "old_token_id": "t1", "msg": "x"}),
    })
    tl.run(runner, params(max_age="30d"), False)
    rc, result, diff = runner.finished
    assert rc == cf.RC_REVOKE_FAILED and result["token_id"] == "t2"


def test_absent_when_nothing_is_stored_is_ok():
    runner = Runner({"revoke": (1, {"failed": True, "error": "nothing_stored", "msg": "there is no token at k"})})
    tl.run(runner, params(state="absent"), False)
    rc, result, diff = runner.finished
    assert rc == 0 and result["changed"] is False and result["action"] == "unchanged"
    assert diff == {"before": {}, "after": {}}
