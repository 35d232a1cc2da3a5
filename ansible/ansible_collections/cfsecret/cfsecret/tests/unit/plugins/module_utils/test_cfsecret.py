# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""module_utils/cfsecret: version parsing, argv and environment building, exit-code mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cfsecret.cfsecret.plugins.module_utils import cfsecret as cf

SECRET = "cfut_" + "A" * 40 + "deadbeef"


def params(**kw):
    base = dict((name, None) for name in cf.argument_spec(cf.COMMON_ARGS, cf.AUTH_ARGS, cf.STORE_ARGS, cf.AGE_ARGS))
    base.update(wait=True)
    base.update(kw)
    return base


@pytest.mark.parametrize(
    "text, version",
    [
        ("cfsecret 0.1.0\n", (0, 1, 0)),
        ("cfsecret 1.12.3-dev", (1, 12, 3)),
        ("", None),
        ("cfsecret", None),
    ],
)
def test_parse_version(text, version):
    assert cf.parse_version(text) == version


def test_check_version_says_what_to_install():
    assert cf.check_version("cfsecret 0.1.0") == (0, 1, 0)
    with pytest.raises(cf.CfsecretError) as exc:
        cf.check_version("cfsecret 0.0.9")
    assert "too old" in str(exc.value)
    assert "install.sh" in str(exc.value)
    with pytest.raises(cf.CfsecretError) as exc:
        cf.check_version("garbage")
    assert "cannot read the version" in str(exc.value)


def test_global_args_follow_check_mode_and_waiting():
    assert cf.global_args(params(), False) == ["--json", "--wait"]
    assert cf.global_args(params(wait=False, timeout="30s"), True) == ["--json", "--check", "--timeout", "30s"]
    assert cf.global_args(params(wait_timeout="2m"), False) == ["--json", "--wait", "--wait-timeout", "2m"]


def test_store_args_file_keyring_and_recipients():
    p = params(file="/s/a.yml", key="k", age=["age1x", "age1y"])
    assert cf.store_args(p) == ["--file", "/s/a.yml", "--key", "k", "--age", "age1x", "--age", "age1y"]
    assert cf.store_args(p, with_age=False) == ["--file", "/s/a.yml", "--key", "k"]
    p = params(keyring="svc/user", keyring_backend="keyutils")
    assert cf.store_args(p) == ["--keyring", "svc/user", "--keyring-backend", "keyutils"]


def test_credentials_go_to_the_child_environment_never_argv():
    p = params(file="f.yml", key="k", api_token=SECRET, api_email="a@b.c", api_key=SECRET, age_key=SECRET,
               age_key_file="/k.txt", api_base_url="http://127.0.0.1:1/client/v4")
    argv = cf.global_args(p, True) + cf.store_args(p) + cf.auth_args(p)
    assert not any(SECRET in a for a in argv)
    env = cf.child_env(p)
    assert env == {
        "CLOUDFLARE_API_TOKEN": SECRET,
        "CLOUDFLARE_API_KEY": SECRET,
        "CLOUDFLARE_EMAIL": "a@b.c",
        "SOPS_AGE_KEY": SECRET,
        "SOPS_AGE_KEY_FILE": "/k.txt",
        "CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:1/client/v4",
    }
    assert cf.child_env(params()) == {}


def test_auth_args_keep_the_management_token_in_its_store():
    p = params(auth_file="/m.yml", auth_key="mgmt", account_id="acc")
    assert cf.auth_args(p) == ["--auth-file", "/m.yml", "--auth-key", "mgmt", "--account-id", "acc"]
    assert cf.auth_args(params(auth_keyring="s/u")) == ["--auth-keyring", "s/u"]


def test_repeated_values_cannot_turn_into_flags():
    assert cf.repeated("--zone", ["example.com", "-x"]) == ["--zone=example.com", "--zone=-x"]
    assert cf.repeated("--zone", None) == []


def test_parse_output_takes_the_json_object():
    assert cf.parse_output('noise\n{"changed": true, "action": "created"}\n') == {"changed": True, "action": "created"}
    assert cf.parse_output("not json") is None
    assert cf.parse_output("[1]") is None


def test_exit_0_and_4_succeed_4_with_a_warning():
    failed, warnings, result = cf.outcome(0, {"changed": False, "msg": "ok"})
    assert (failed, warnings, result["rc"]) == (False, [], 0)
    failed, warnings, result = cf.outcome(4, {"failed": True, "changed": True, "msg": "revoke failed"})
    assert not failed and result["changed"] and result["failed"] is False
    assert "could not be revoked" in warnings[0]
    failed, warnings, result = cf.outcome(4, {"failed": True, "msg": "revoke failed"}, fail_on_revoke_error=True)
    assert failed and result["changed"] and not warnings


def test_exit_5_fails_with_the_rescue_file_and_how_to_restore():
    failed, _, result = cf.outcome(
        5,
        {"failed": True, "msg": "cannot write", "rescue_file": "/s/.a.yml.rescue-1.age", "store": {"file": "/s/a.yml", "key": "k"}},
    )
    assert failed
    assert result["restore_command"] == "age --decrypt -i YOUR_AGE_IDENTITY /s/.a.yml.rescue-1.age | cfsecret set --file /s/a.yml --key k"
    assert "/s/.a.yml.rescue-1.age" in result["msg"]


def test_exit_6_fails_as_locked_and_others_fail():
    failed, _, result = cf.outcome(6, {"failed": True, "msg": "held by pid 7"})
    assert failed and result["error"] == "locked" and result["msg"].startswith("locked: ")
    failed, _, result = cf.outcome(1, {"failed": True, "msg": "boom", "error": "api"})
    assert failed and result["msg"] == "boom" and result["rc"] == 1


def test_shell_quote():
    assert cf.shell_quote("/a/b.yml") == "/a/b.yml"
    assert cf.shell_quote('["a"]["b"]') == "'[\"a\"][\"b\"]'"
    assert cf.shell_quote("it's") == "'it'\"'\"'s'"


def test_diff_view_never_has_a_value():
    view = cf.diff_view({"token_id": "t1", "name": "n", "status": "active", "expires_on": None, "secret": SECRET})
    assert view == {"token_id": "t1", "name": "n", "status": "active"}


def test_an_older_binary_is_told_from_a_wrong_value():
    assert cf.is_unknown_argument("unrecognized subcommand '<not shown>'")
    assert cf.is_unknown_argument("unexpected argument '<not shown>' found")
    assert not cf.is_unknown_argument("pass --rescue-age age1")
    assert not cf.is_unknown_argument(None)


def test_the_restore_command_is_cfsecret_s_own_when_it_gives_one():
    hint = "fix the store, then restore the secret: age -d -i YOUR_AGE_KEY /s/r.age | cfsecret set --file /s/a.yml --key k"
    failed, _, result = cf.outcome(5, {"failed": True, "msg": "x", "hint": hint, "rescue_file": "/s/r.age"})
    assert failed and result["restore_command"] == "age -d -i YOUR_AGE_KEY /s/r.age | cfsecret set --file /s/a.yml --key k"
