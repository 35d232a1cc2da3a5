# -*- coding: utf-8 -*-
# Copyright (c) cfsecret maintainers
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Running the cfsecret binary from a module: finding it, checking its version, building argv and
the child's environment, reading its one JSON object and mapping its exit codes.

Secrets never go into argv: a value goes to cfsecret on standard input, a management token into
the environment of the cfsecret child process only (run_command's environ_update), never into a
task's `environment:`, which Ansible prints at -vvv whatever no_log says.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

# The oldest cfsecret these modules work with (the JSON fields and exit codes they read).
MIN_VERSION = (0, 1, 0)

INSTALL_HINT = (
    "install cfsecret (./install.sh from its repository, or `cargo install --path .`) into PATH, "
    "~/.local/bin or /usr/local/bin, or set cfsecret_binary to its path"
)

# Where cfsecret is looked for besides PATH: where install.sh puts it, for users and for root.
EXTRA_DIRS = ["~/.local/bin", "/usr/local/bin"]

# Exit codes, from cfsecret's contract.
RC_OK = 0
RC_ERROR = 1
RC_USAGE = 2
RC_INACTIVE = 3
RC_REVOKE_FAILED = 4
RC_RESCUED = 5
RC_LOCKED = 6

# The options every module shares (doc fragment cfsecret.cfsecret.common).
COMMON_ARGS = dict(
    cfsecret_binary=dict(type="path"),
    api_base_url=dict(type="str"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="str"),
    timeout=dict(type="str"),
)

# The management credential (doc fragment cfsecret.cfsecret.auth).
AUTH_ARGS = dict(
    auth_file=dict(type="path"),
    auth_key=dict(type="str", no_log=False),
    auth_keyring=dict(type="str", no_log=False),
    api_token=dict(type="str", no_log=True),
    api_email=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    account_id=dict(type="str"),
)

# Where the secret lives (doc fragment cfsecret.cfsecret.store).
STORE_ARGS = dict(
    file=dict(type="path"),
    key=dict(type="str", no_log=False),
    keyring=dict(type="str", no_log=False),
    keyring_backend=dict(
        type="str",
        no_log=False,
        choices=["secret-service", "keyutils", "keychain", "credential-manager"],
    ),
)

# How sops files are encrypted and decrypted (doc fragment cfsecret.cfsecret.age).
AGE_ARGS = dict(
    age=dict(type="list", elements="str"),
    age_key_file=dict(type="path"),
    age_key=dict(type="str", no_log=True),
)

STORE_MUTUALLY_EXCLUSIVE = [["file", "keyring"]]
STORE_REQUIRED_ONE_OF = [["file", "keyring"]]
STORE_REQUIRED_TOGETHER = [["file", "key"]]
AUTH_MUTUALLY_EXCLUSIVE = [["auth_file", "auth_keyring", "api_token", "api_key"]]
AUTH_REQUIRED_TOGETHER = [["auth_file", "auth_key"], ["api_email", "api_key"]]


class CfsecretError(Exception):
    """A failure before or around running cfsecret (not found, too old, no JSON)."""


def argument_spec(*groups, **extra):
    """One argument_spec from the shared groups plus a module's own options."""
    spec = {}
    for group in groups:
        for name, opts in group.items():
            spec[name] = dict(opts)
    spec.update(extra)
    return spec


def parse_version(text):
    """`cfsecret 0.1.0` (or `0.1.0-dev`) to (0, 1, 0); None when there is no version."""
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    if not match:
        return None
    return tuple(int(part) for part in match.groups())


def version_text(version):
    return ".".join(str(part) for part in version)


def check_version(text, minimum=MIN_VERSION):
    """Raises CfsecretError unless `cfsecret --version` printed `minimum` or newer."""
    version = parse_version(text)
    if version is None:
        raise CfsecretError(
            "cannot read the version of cfsecret from %r; %s" % ((text or "").strip(), INSTALL_HINT)
        )
    if version < minimum:
        raise CfsecretError(
            "cfsecret %s is too old for this collection (it needs %s or newer); %s"
            % (version_text(version), version_text(minimum), INSTALL_HINT)
        )
    return version


def global_args(params, check_mode):
    """The flags every cfsecret call gets: one JSON object, the dry run, lock waiting, timeouts."""
    argv = ["--json"]
    if check_mode:
        argv.append("--check")
    if params.get("wait"):
        argv.append("--wait")
        if params.get("wait_timeout"):
            argv.extend(["--wait-timeout", params["wait_timeout"]])
    if params.get("timeout"):
        argv.extend(["--timeout", params["timeout"]])
    return argv


def store_args(params, with_age=True):
    """`--file F --key K` or `--keyring S/U`, the backend, and `--age` recipients of a new file."""
    argv = []
    if params.get("file"):
        argv.extend(["--file", params["file"], "--key", params["key"]])
    if params.get("keyring"):
        argv.extend(["--keyring", params["keyring"]])
    if params.get("keyring_backend"):
        argv.extend(["--keyring-backend", params["keyring_backend"]])
    if with_age:
        for recipient in params.get("age") or []:
            argv.extend(["--age", recipient])
    return argv


def auth_args(params):
    """The management credential kept in a store (it never passes through Ansible)."""
    argv = []
    if params.get("auth_file"):
        argv.extend(["--auth-file", params["auth_file"], "--auth-key", params["auth_key"]])
    if params.get("auth_keyring"):
        argv.extend(["--auth-keyring", params["auth_keyring"]])
    if params.get("account_id"):
        argv.extend(["--account-id", params["account_id"]])
    return argv


def repeated(flag, values):
    """`--flag v1 --flag v2`; `--flag=v` keeps a value starting with `-` a value."""
    return ["%s=%s" % (flag, value) for value in values or []]


def child_env(params):
    """The environment of the cfsecret child only: credentials given as (no_log) module options,
    the API base URL, and the age identity. Nothing here reaches argv or the task's environment."""
    env = {}
    if params.get("api_token"):
        env["CLOUDFLARE_API_TOKEN"] = params["api_token"]
    if params.get("api_key"):
        env["CLOUDFLARE_API_KEY"] = params["api_key"]
        env["CLOUDFLARE_EMAIL"] = params["api_email"]
    if params.get("api_base_url"):
        env["CLOUDFLARE_API_BASE_URL"] = params["api_base_url"]
    if params.get("age_key_file"):
        env["SOPS_AGE_KEY_FILE"] = params["age_key_file"]
    if params.get("age_key"):
        env["SOPS_AGE_KEY"] = params["age_key"]
    return env


def parse_output(stdout):
    """cfsecret's one JSON object (the last line that is one, in case anything else was printed)."""
    for line in reversed((stdout or "").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def outcome(rc, result, fail_on_revoke_error=False):
    """Maps cfsecret's exit code and JSON to the module's result: (failed, warnings, result).

    3 is left to the caller (token_info turns it into active: false). 4 is changed plus a warning:
    the new token is stored and works, only the old one could not be revoked, and the next run
    retries. 5 fails with the rescue file and how to restore it. 6 fails as locked.
    """
    result = dict(result or {})
    warnings = []
    result["rc"] = rc
    if rc == RC_OK:
        result.pop("failed", None)
        return False, warnings, result
    msg = result.get("msg") or "cfsecret exited with %d" % rc
    if rc == RC_REVOKE_FAILED:
        result["changed"] = True
        warning = (
            "the new token is stored and verified, but the old token could not be revoked: %s; "
            "the next run retries the revocation" % msg
        )
        if fail_on_revoke_error:
            result["failed"] = True
            result["msg"] = warning
            return True, warnings, result
        # Explicit: Ansible takes a result with a non-zero rc and no `failed` as failed.
        result["failed"] = False
        warnings.append(warning)
        return False, warnings, result
    result["failed"] = True
    if rc == RC_RESCUED:
        rescue = result.get("rescue_file")
        result.setdefault("error", "rescued")
        if rescue:
            result["restore_command"] = cfsecret_restore(result.get("hint")) or restore_command(
                rescue, result.get("store")
            )
            msg = "%s; the new secret is saved, encrypted, in %s; restore it with: %s" % (
                msg,
                rescue,
                result["restore_command"],
            )
    elif rc == RC_LOCKED:
        result["error"] = result.get("error") or "locked"
        msg = "locked: %s (set wait: true, the default, to wait for the other run)" % msg
    result["msg"] = msg
    return True, warnings, result


def is_unknown_argument(msg):
    """Whether a usage error is cfsecret not knowing a flag or command (an older binary), as
    clap words it, rather than a wrong value."""
    return bool(re.search(r"unrecognized subcommand|unexpected argument", msg or ""))


def cfsecret_restore(hint):
    """The restore line cfsecret's own hint gives (`... restore the secret: age -d ... | cfsecret set ...`)."""
    match = re.search(r"restore the secret: (.+)$", hint or "")
    return match.group(1).strip() if match else None


def restore_command(rescue_file, store):
    """The shell line that puts a rescued secret into its store (the value never in argv)."""
    target = "--file FILE --key KEY"
    if isinstance(store, dict):
        if store.get("file") and store.get("key"):
            target = "--file %s --key %s" % (shell_quote(store["file"]), shell_quote(store["key"]))
        elif store.get("keyring"):
            target = "--keyring %s" % shell_quote(store["keyring"])
    return "age --decrypt -i YOUR_AGE_IDENTITY %s | cfsecret set %s" % (
        shell_quote(rescue_file),
        target,
    )


def shell_quote(text):
    if re.match(r"^[A-Za-z0-9_./:@%+=-]+$", text or ""):
        return text
    return "'" + (text or "").replace("'", "'\"'\"'") + "'"


def diff_view(result):
    """The parts of a token a diff may show: id, name, status and expiry, never the value."""
    return dict(
        (name, result.get(name))
        for name in ("token_id", "name", "status", "expires_on", "not_before")
        if result.get(name) is not None
    )


class Cfsecret(object):
    """One module's cfsecret: the binary, checked once, and calls to it."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.binary = self.find_binary()
        self.version = self.check_binary()

    def find_binary(self):
        explicit = self.params.get("cfsecret_binary")
        if explicit:
            path = os.path.expanduser(explicit)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                self.module.fail_json(
                    msg="cfsecret_binary %s is not an executable file; %s" % (path, INSTALL_HINT)
                )
            return path
        dirs = [os.path.expanduser(d) for d in EXTRA_DIRS]
        path = self.module.get_bin_path("cfsecret", required=False, opt_dirs=dirs)
        if not path:
            self.module.fail_json(
                msg="cfsecret was not found in PATH, %s; %s" % (", ".join(EXTRA_DIRS), INSTALL_HINT)
            )
        return path

    def check_binary(self):
        rc, out, err = self.module.run_command([self.binary, "--version"], check_rc=False)
        if rc != 0:
            self.module.fail_json(
                msg="%s --version failed (exit %d): %s; %s" % (self.binary, rc, err.strip(), INSTALL_HINT)
            )
        try:
            return check_version(out)
        except CfsecretError as exc:
            self.module.fail_json(msg=str(exc))

    def run(self, command, argv, data=None, env=None):
        """Runs `cfsecret COMMAND ARGV...`; returns (rc, JSON object, stderr).

        `data` goes to standard input as it is (no newline added); `env` is added to the child's
        environment only.
        """
        full = [self.binary, command] + argv
        environ = child_env(self.params)
        environ.update(env or {})
        rc, out, err = self.module.run_command(
            full,
            data=data,
            binary_data=True,
            environ_update=environ,
            check_rc=False,
        )
        result = parse_output(out)
        too_old = "this cfsecret (%s) may be too old for this option or command; %s" % (
            version_text(self.version),
            INSTALL_HINT,
        )
        if result is None:
            if rc == RC_USAGE:
                msg = "cfsecret %s refused its arguments (exit 2): %s; %s" % (command, err.strip(), too_old)
            else:
                msg = "cfsecret %s printed no JSON (exit %d): %s" % (command, rc, err.strip())
            self.module.fail_json(msg=msg, rc=rc, stderr=err, cmd=full)
        if rc == RC_USAGE and is_unknown_argument(result.get("msg")):
            result["msg"] = "%s; %s" % (result.get("msg"), too_old)
        return rc, result, err

    def finish(self, rc, result, fail_on_revoke_error=False, diff=None):
        """exit_json / fail_json for cfsecret's result."""
        failed, warnings, result = outcome(rc, result, fail_on_revoke_error)
        for warning in warnings:
            self.module.warn(warning)
        if diff is not None and self.module._diff:
            result["diff"] = diff
        if failed:
            msg = result.pop("msg")
            self.module.fail_json(msg=msg, **result)
        self.module.exit_json(**result)
